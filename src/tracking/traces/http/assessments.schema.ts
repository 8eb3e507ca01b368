/** Assessment schemas (MLflow 3's `assessments.proto` as protobuf JSON), snake_case as the client sends them. */
import Type from "typebox";

const StringMap = Type.Record(Type.String(), Type.String());

const ErrorIn = Type.Object({
  error_code: Type.Optional(Type.String()),
  error_message: Type.Optional(Type.String()),
  stack_trace: Type.Optional(Type.String()),
});

/** An Assessment as a client sends it (CreateAssessment, UpdateAssessment, StartTraceV3's trace_info). */
export const AssessmentIn = Type.Object({
  assessment_id: Type.Optional(Type.String()),
  assessment_name: Type.Optional(Type.String()),
  trace_id: Type.Optional(Type.String()),
  span_id: Type.Optional(Type.String()),
  source: Type.Optional(Type.Object({ source_type: Type.Optional(Type.Union([Type.String(), Type.Integer()])), source_id: Type.Optional(Type.String()) })),
  create_time: Type.Optional(Type.String({ maxLength: 64 })),
  last_update_time: Type.Optional(Type.String({ maxLength: 64 })),
  feedback: Type.Optional(Type.Object({ value: Type.Optional(Type.Unknown()), error: Type.Optional(ErrorIn) })),
  expectation: Type.Optional(
    Type.Object({
      value: Type.Optional(Type.Unknown()),
      serialized_value: Type.Optional(Type.Object({ serialization_format: Type.Optional(Type.String()), value: Type.Optional(Type.String()) })),
    }),
  ),
  rationale: Type.Optional(Type.String()),
  /** Deprecated: the feedback's error. */
  error: Type.Optional(ErrorIn),
  metadata: Type.Optional(StringMap),
  overrides: Type.Optional(Type.String()),
  valid: Type.Optional(Type.Boolean()),
});

const ErrorOut = ErrorIn;

export const WireAssessment = Type.Object({
  assessment_id: Type.String(),
  assessment_name: Type.String(),
  trace_id: Type.String(),
  span_id: Type.Optional(Type.String()),
  source: Type.Object({ source_type: Type.String(), source_id: Type.Optional(Type.String()) }),
  create_time: Type.String(),
  last_update_time: Type.String(),
  feedback: Type.Optional(Type.Object({ value: Type.Unknown(), error: Type.Optional(ErrorOut) })),
  expectation: Type.Optional(
    Type.Object({
      value: Type.Optional(Type.Unknown()),
      serialized_value: Type.Optional(Type.Object({ serialization_format: Type.String(), value: Type.String() })),
    }),
  ),
  rationale: Type.Optional(Type.String()),
  metadata: Type.Optional(StringMap),
  overrides: Type.Optional(Type.String()),
  valid: Type.Boolean(),
});

export const AssessmentParams = Type.Object({ trace_id: Type.String(), assessment_id: Type.String() });
export const CreateAssessmentBody = Type.Object({ assessment: Type.Optional(AssessmentIn) });
/** A FieldMask is protobuf JSON's comma-separated lowerCamelCase paths; `{paths: [...]}` is taken too. */
export const UpdateAssessmentBody = Type.Object({
  assessment: Type.Optional(AssessmentIn),
  update_mask: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Object({ paths: Type.Optional(Type.Array(Type.String(), { maxItems: 20 })) })])),
});
export const AssessmentResponse = Type.Object({ assessment: WireAssessment });

export const LinkTracesToRunBody = Type.Object({
  trace_ids: Type.Optional(Type.Array(Type.String(), { maxItems: 10_000 })),
  run_id: Type.Optional(Type.String()),
});
