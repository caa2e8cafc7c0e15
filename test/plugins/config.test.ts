// A plugin's settings are a section of the one config: `plugins.<name>.*` in the file or WISPD_PLUGINS_<NAME>_<KEY>,
// checked at boot against what the plugin declares (unknown keys and bad values stop it with the key and the
// reason), shown by dump-config with secrets masked. Commands that do not run plugins leave the section unchecked.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { repoRoot, tmpDir } from '../helpers/env.ts';
import { wispd } from '../helpers/proc.ts';

const dir = tmpDir(t);
const hello = `${dir}/hello`;
cpSync(`${repoRoot}/test/fixtures/plugins/hello`, hello, { recursive: true });
writeFileSync(
  `${hello}/index.ts`,
  readFileSync(`${hello}/index.ts`, 'utf8').replace(
    '../../../../plugins/sdk/index.ts',
    pathToFileURL(`${repoRoot}/plugins/sdk/index.ts`).href,
  ),
);
writeFileSync(`${hello}/package.json`, JSON.stringify({ type: 'module' }));

function withFile(yaml: string, env: Record<string, string> = {}, ...args: string[]) {
  const file = `${dir}/wispd-${Math.random().toString(36).slice(2)}.yaml`;
  writeFileSync(file, yaml);
  return wispd([...args, '--config', file], { env: { WISPD_DAEMON_DATA_DIR: `${dir}/data`, ...env } });
}

t.test('a plugin section is checked against the plugin and masked', async (t) => {
  const yaml = 'plugins:\n  enabled: [./hello]\n  hello:\n    greeting: hi\n    api_key: sk_live_secret\n';
  const dump = withFile(yaml, { WISPD_PLUGINS_HELLO_REPEAT: '3' }, 'dump-config');
  t.equal(dump.code, 0, dump.stderr);
  t.match(
    dump.stdout,
    /\n {2}hello:\n {4}greeting: hi {2}# from .*:4\n {4}api_key: "?\*{8}"? {2}# from .*:5\n {4}repeat: 3 {2}# from WISPD_PLUGINS_HELLO_REPEAT\n/,
  );
  t.notMatch(dump.stdout, /sk_live_secret/, 'the secret is never printed');
  t.equal(withFile(yaml, {}, 'check-config').code, 0);

  const docs = withFile('plugins:\n  enabled: [./hello]\n', {}, 'dump-config', '--docs');
  t.match(
    docs.stdout,
    /# Plugin hello 1\.2\.0\n {2}hello:\n {4}# What the greeting route says first\. \(string\)\n {4}greeting: hello/,
  );
});

t.test('unknown keys and bad values stop the boot with the key and the reason', async (t) => {
  const typo = withFile('plugins:\n  enabled: [./hello]\n  hello:\n    greting: hi\n', {}, 'check-config');
  t.equal(typo.code, 1);
  t.match(typo.stderr, /:4: unknown key plugins\.hello\.greting \(did you mean plugins\.hello\.greeting\?\)/);

  const bad = withFile('plugins:\n  enabled: [./hello]\n', { WISPD_PLUGINS_HELLO_REPEAT: '9' }, 'check-config');
  t.equal(bad.code, 1);
  t.match(
    bad.stderr,
    /WISPD_PLUGINS_HELLO_REPEAT: invalid value for plugins\.hello\.repeat: "9" — must be an integer from 1 to 5/,
  );

  const notEnabled = withFile('plugins:\n  hello:\n    greeting: hi\n', {}, 'check-config');
  t.equal(notEnabled.code, 1);
  t.match(notEnabled.stderr, /unknown key plugins\.hello\b/, 'a section for a plugin that is not enabled is refused');

  const start = withFile('plugins:\n  enabled: [./hello]\n  hello:\n    greting: hi\n', {}, 'start');
  t.equal(start.code, 1, 'start refuses it too');
  t.match(start.stderr, /unknown key plugins\.hello\.greting/);
});

t.test('commands that do not run plugins leave their sections alone', async (t) => {
  // A plugin that cannot be loaded: its section is not checked (the daemon marks the plugin failed and says why).
  const missing = withFile(
    'plugins:\n  enabled: [nosuchplugin]\n  nosuchplugin:\n    anything: 1\n',
    {},
    'check-config',
  );
  t.equal(missing.code, 0, missing.stderr);
  const other = withFile('plugins:\n  hello:\n    greeting: hi\n', { WISPD_PLUGINS_HELLO_X: '1' }, 'plugin', 'list');
  t.notMatch(other.stderr, /config|unknown/, 'it reads the config and goes on to ask the daemon');
  t.match(other.stderr, /daemon/);
});
