/** A parsed JSON body in a test: loosely typed on purpose, the assertions check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function readJson(res: Response): Promise<Json> {
  return res.json();
}
