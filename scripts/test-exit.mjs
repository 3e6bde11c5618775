// Loaded into every test file's process by scripts/test.mjs. Node's test runner waits forever
// for a file whose tests and hooks are done but which an open handle (a socket, a timer, a
// worker) keeps alive: a CI run once printed a file's results and then nothing until its time
// limit. A minute after its tests end, such a file names what holds it open and exits. The
// minute leaves the file's own after hooks (stopping anvil, nodes, curve workers: seconds)
// time to finish: node runs this hook before them. (--test-force-exit exits at once and, on
// Node 20, lost a file's last three results from the report.)
import { after } from 'node:test';

if (process.env.NODE_TEST_CONTEXT?.startsWith('child')) {
  after(() => {
    setTimeout(() => {
      process.stderr.write(`still running 60 s after its tests ended, held open by: ${process.getActiveResourcesInfo().join(', ')}; exiting\n`);
      process.exit();
    }, 60_000).unref();
  });
}
