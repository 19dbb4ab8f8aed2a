/**
 * Flags for the Node.js process that runs Kefu: `npm start` and `npm run dev` (package.json), `npm run cluster` and
 * the tests that start Kefu as its own process use these.
 *
 * --max-semi-space-size=32: a turn allocates a lot of short-lived objects (HTTP, NLU features,
 * query results). With V8's default young generation (16 MB) they were collected often and some
 * promoted to the old generation; with 32 MB, `npm run bench:turn` spent 8–20 % less CPU per turn in
 * four before/after pairs on the 2-core machine (docs/operations.md, "Performance").
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
