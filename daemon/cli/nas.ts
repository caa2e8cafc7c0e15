import type { Command } from 'commander';
import { addNas, getNas, listNas, NAS_VENDORS, removeNas, updateNas } from '../model/nas.ts';
import { printTable, readRecords, withRecords } from './context.ts';
import { count, globals } from './options.ts';

export function registerNasCommands(program: Command): void {
  const nas = program
    .command('nas')
    .description('The NAS/BRAS allowed to send RADIUS: add, set, list, remove.')
    .addHelpText('after', '\nA packet from an address no NAS covers is dropped (and counted).');

  nas
    .command('add')
    .description('Add a NAS (a host address or a subnet of them) with its shared secret.')
    .requiredOption('--name <name>', 'a name for staff and logs')
    .requiredOption('--address <ip|cidr>', 'its address (10.0.0.1) or a subnet of NAS (10.0.0.0/24)')
    .requiredOption('--secret <secret>', 'the RADIUS shared secret (stored encrypted; never shown again)')
    .option('--vendor <vendor>', `how replies express speed: ${NAS_VENDORS.join(', ')}`, 'generic')
    .option('--coa-port <port>', 'where it listens for CoA/Disconnect (MikroTik: 3799 or 1700)', '3799')
    .option(
      '--no-require-message-authenticator',
      'accept Access-Requests without Message-Authenticator (only for NAS that cannot send it; weakens BlastRADIUS protection)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  wispd nas add --name tower1-ccr --address 10.20.0.1 --secret "$SECRET" --vendor mikrotik',
    )
    .action((o, cmd: Command) =>
      withRecords(globals(cmd), async ({ write, box }) => {
        const n = await write({ resource: 'nas', action: 'new' }, (tx) =>
          addNas(tx, box, {
            name: o.name,
            address: o.address,
            secret: o.secret,
            vendor: o.vendor,
            coaPort: count('coa-port', o.coaPort),
            requireMessageAuthenticator: o.requireMessageAuthenticator,
          }),
        );
        process.stdout.write(`added NAS ${n.name} (${n.address}, ${n.vendor}, CoA port ${n.coaPort})\n`);
      }),
    );

  nas
    .command('set')
    .description('Change a NAS: a new secret, address, vendor, CoA port; effective within a second.')
    .argument('<name>', 'the NAS name')
    .option('--address <ip|cidr>', 'its address or subnet')
    .option('--secret <secret>', 'a new shared secret (stored encrypted)')
    .option('--vendor <vendor>', NAS_VENDORS.join(', '))
    .option('--coa-port <port>', 'where it listens for CoA/Disconnect')
    .option('--require-message-authenticator', 'refuse Access-Requests without Message-Authenticator')
    .option('--no-require-message-authenticator', 'accept them (only for NAS that cannot send it)')
    .addHelpText('after', '\nExample:\n  wispd nas set tower1-ccr --secret "$NEW_SECRET"')
    .action((name: string, o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, box, write }) => {
        const before = await getNas(db, name);
        const n = await write({ resource: 'nas', action: 'edit', recordId: before.id, before }, (tx) =>
          updateNas(tx, box, name, {
            address: o.address,
            secret: o.secret,
            vendor: o.vendor,
            coaPort: o.coaPort === undefined ? undefined : count('coa-port', o.coaPort),
            requireMessageAuthenticator: o.requireMessageAuthenticator,
          }),
        );
        const ma = n.requireMessageAuthenticator ? 'Message-Authenticator required' : 'Message-Authenticator optional';
        process.stdout.write(
          `NAS ${n.name}: ${n.address}, ${n.vendor}, CoA port ${n.coaPort}, ${ma}${o.secret ? ', new secret' : ''}\n`,
        );
      }),
    );

  nas
    .command('list')
    .description('List the NAS (secrets are never shown).')
    .option('--json', 'as JSON')
    .action((o, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const rows = (await listNas(db)).map((n) => ({
          name: n.name,
          address: n.address,
          vendor: n.vendor,
          coa_port: n.coaPort,
          message_authenticator: n.requireMessageAuthenticator ? 'required' : 'optional',
        }));
        printTable(rows, ['name', 'address', 'vendor', 'coa_port', 'message_authenticator'], o.json);
      }),
    );

  nas
    .command('remove')
    .description('Remove a NAS; its packets are dropped from then on.')
    .argument('<name>', 'the NAS name')
    .action((name: string, _o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, write }) => {
        const before = await getNas(db, name);
        await write({ resource: 'nas', action: 'delete', recordId: before.id, before }, async (tx) => {
          await removeNas(tx, name);
          return null;
        });
        process.stdout.write(`removed NAS ${name}\n`);
      }),
    );
}
