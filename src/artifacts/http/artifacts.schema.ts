/** Request and response schemas of the artifact routes (`mlflow_artifacts.proto`, ListArtifacts in `service.proto`). */
import Type from "typebox";
import { Required, RunIdFields } from "../../server/http/common.schema.js";

export const Empty = Type.Object({});

const WireFileInfo = Type.Object({
  path: Type.String(),
  is_dir: Type.Boolean(),
  file_size: Type.Optional(Type.Number()),
});

export const ListProxiedQuery = Type.Object({ path: Type.Optional(Type.String()) });
export const ListProxiedResponse = Type.Object({ files: Type.Optional(Type.Array(WireFileInfo)) });

export const ListRunArtifactsQuery = Type.Object({
  ...RunIdFields,
  path: Type.Optional(Type.String()),
  page_token: Type.Optional(Type.String()),
});
export const ListRunArtifactsResponse = Type.Object({
  root_uri: Type.Optional(Type.String()),
  files: Type.Optional(Type.Array(WireFileInfo)),
});

export const GetArtifactQuery = Type.Object({ ...RunIdFields, path: Type.String() });

/** proto int64: a JSON number or a numeric string. */
const Int64In = Type.Union([Type.Integer(), Type.String({ pattern: "^-?\\d+$" })]);

export const CreateMultipartBody = Type.Object({
  // MLflow compat: the client's LOCAL file path; its base name is the uploaded file's name.
  path: Required,
  num_parts: Type.Optional(Int64In),
});
export const CreateMultipartResponse = Type.Object({
  upload_id: Type.String(),
  credentials: Type.Array(
    Type.Object({ url: Type.String(), part_number: Type.Number(), headers: Type.Record(Type.String(), Type.String()) }),
  ),
});

export const CompleteMultipartBody = Type.Object({
  path: Required,
  upload_id: Type.Optional(Type.String()),
  parts: Type.Array(
    Type.Object({ part_number: Int64In, etag: Type.Optional(Type.String()), url: Type.Optional(Type.String()) }),
    { maxItems: 10_000 },
  ),
});

export const AbortMultipartBody = Type.Object({ path: Required, upload_id: Type.Optional(Type.String()) });

export const UploadPartQuery = Type.Object({ upload_id: Required, part_number: Type.Integer({ minimum: 1, maximum: 10_000 }) });

/** `upload-artifact`'s query: checked by the route, with MLflow's messages. */
export const UiUploadQuery = Type.Object({ run_uuid: Type.Optional(Type.String()), path: Type.Optional(Type.String()) });
