/** Holds the instance lock on argv[2] and prints "locked", then waits to be killed (instance-lock.test.ts). */
import { acquireInstanceLock } from "../instance-lock.js";

acquireInstanceLock(process.argv[2] as string);
process.stdout.write("locked\n");
setInterval(() => {}, 1000);
