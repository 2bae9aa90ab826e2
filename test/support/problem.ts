import { expect } from "vitest";

/** A runtime's answer to one request, its body already read (and parsed when it is JSON). */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

export async function readAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  let json: Record<string, unknown> = {};
  if (/json/.test(response.headers.get("content-type") ?? "")) json = JSON.parse(text) as Record<string, unknown>;
  return { status: response.status, headers: response.headers, text, json };
}

/** An RFC 9457 problem+json answer with this status and code. */
export function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  expect(answer.json).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
  expect(typeof answer.json.detail).toBe("string");
}
