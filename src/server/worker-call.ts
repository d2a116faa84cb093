import { Worker } from 'worker_threads';
import { LOWER_PRIORITY } from './background-thread';

/**
 * Runs `fn(arg)` once on a worker thread and answers its result: for walks of tens of thousands of files whose
 * system calls would otherwise hold the main thread (and the server's answers) for seconds. `fn` runs from its source
 * text, so it may use only its argument and `require` (no imports or helpers of its module); the argument and the
 * result travel by structured clone.
 */
export function inWorker<A, R>(fn: (arg: A) => R, arg: A): Promise<R> {
  const source = `
${LOWER_PRIORITY}
const { parentPort, workerData } = require('worker_threads');
parentPort.postMessage((${fn.toString()})(workerData));
`;
  return new Promise<R>((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: arg });
    let answered = false;
    worker.once('message', (result: R) => {
      answered = true;
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`worker thread exited with code ${code} before answering`));
    });
  });
}
