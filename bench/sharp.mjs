// sharp, in process: a worker that times renders on command, so the bench can interleave it
// with the other engines round by round.
//
// argv[2]: the node_modules directory holding sharp. Reads one JSON command per stdin line:
//   {"op": "versions"}
//     -> {"versions": {...}}
//   {"op": "run", "file": "<source>", "recipe": {...}, "jobs": N, "concurrency": C}
//     -> {"ms": [...], "wall_s": s, "size": [w, h], "bytes": n}
// and answers each with one JSON line on stdout; stdin closed -> exit.
// Each render is `sharp(file).resize(...).<format>(...).toBuffer()`: the same work as the
// other engines (fit = "inside", fill = "cover" centred; JPEG/WebP quality 80, PNG level 6).
// sharp's operation cache is off so no render reuses another's work.
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";

const require = createRequire(join(process.argv[2], "noop.js"));
const sharp = require("sharp");
sharp.cache(false);

function render(file, r) {
  let pipeline = sharp(file).resize(r.width, r.height ?? undefined,
    { fit: r.fit, position: "centre" });
  if (r.format === "jpg") pipeline = pipeline.jpeg({ quality: r.quality });
  else if (r.format === "webp") pipeline = pipeline.webp({ quality: r.quality });
  else pipeline = pipeline.png({ compressionLevel: r.compression });
  return pipeline.toBuffer({ resolveWithObject: true });
}

async function run(command) {
  const ms = [];
  let next = 0;
  let last = null;
  const started = process.hrtime.bigint();
  async function worker() {
    while (next < command.jobs) {
      next += 1;
      const t0 = process.hrtime.bigint();
      last = await render(command.file, command.recipe);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  return {
    ms,
    wall_s: Number(process.hrtime.bigint() - started) / 1e9,
    size: last ? [last.info.width, last.info.height] : null,
    bytes: last ? last.data.length : 0,
  };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    const command = JSON.parse(line);
    answer = command.op === "versions" ? { versions: sharp.versions } : await run(command);
  } catch (error) {
    answer = { error: String(error && error.message ? error.message : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
