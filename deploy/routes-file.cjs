/**
 * The notifier's routes file, checked when packaging (serverless.yml params.routesFile): a bad
 * file fails `serverless package` / `deploy` with its file, line and field, before anything is
 * deployed. The check is the loader the notifier runs (scripts/notify.ts --check).
 */
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports.routesFile = async ({ options }) => {
  const file = process.env.NOTIFY_ROUTES_FILE ?? '';
  if (!file) return '';
  if (options.stage !== 'local' && !/^notifications\/routes\.(ya?ml|json)$/.test(file)) {
    throw new Error(`NOTIFY_ROUTES_FILE must be notifications/routes.yml, .yaml or .json (the file packaged with the notifier), got ${file}`);
  }
  const root = path.join(__dirname, '..');
  const args = [path.join(root, 'scripts', 'notify.ts'), '--check', file];
  // Plain URLs only for the local stage; a deployed stage keeps them in secrets.
  if (options.stage === 'local') args.push('--plain-urls');
  try {
    execFileSync(path.join(root, 'node_modules', '.bin', 'tsx'), args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    throw new Error(String(error.stderr || error.message).trim());
  }
  return file;
};
