/**
 * Headers between ciclo's router and its model servers about inference
 * logging (monitoring's feed).
 * @module
 */

/**
 * Set by the router on the requests it has logged for monitoring: a model
 * server that logs too (`--log-requests`) skips those, so each request is
 * filed once. Only the router sets it (it forwards no client headers beyond a
 * fixed list); a client calling a model server directly could set it to stay
 * out of the log, as it could leave out its own request id.
 */
export const INFERENCE_LOGGED_HEADER = "ciclo-inference-logged";
