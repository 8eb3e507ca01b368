/**
 * A response read whole, as the test fixtures that drive a live server see
 * it: status, headers and the body as JSON (the text itself when it is not
 * JSON, undefined when it is empty).
 * @module
 */

export interface Answer {
  status: number;
  headers: Headers;
  json: any;
}

export async function readAnswer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}
