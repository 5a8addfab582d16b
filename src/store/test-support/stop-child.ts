// A process whose only pending work is awaiting the checkpointer's stop(): it must live to print "after".
import { openDatabase } from "../db.js";
import { startCheckpointer } from "../checkpointer.js";

const path = process.argv[2]!;
openDatabase(path).close();
const ckpt = startCheckpointer(path, { intervalMs: 1 });
await ckpt.stop();
process.stdout.write("after\n");
