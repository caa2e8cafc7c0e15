/**
 * An audit row's change as a table: each field the record had before or has after, the old and new value side by
 * side, the changed ones marked (AdminJS would show two greyed JSON inputs, nested values as [object Object]).
 */
import { Box, Label, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';
import { type BasePropertyProps, flat } from 'adminjs';
import React from 'react';

const shown = (v: unknown): string =>
  v === undefined ? '' : v === null ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v);

const AuditDiff: React.FC<BasePropertyProps> = ({ record }) => {
  const params = record?.params ?? {};
  const before = (flat.get(params, 'before') ?? null) as Record<string, unknown> | null;
  const after = (flat.get(params, 'after') ?? null) as Record<string, unknown> | null;
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  return (
    <Box mb="xl" data-audit-diff>
      <Label>Change</Label>
      {keys.length === 0 ? (
        <Text>No record data (an action on live sessions: see its outcome).</Text>
      ) : (
        <Table>
          <TableHead>
            <TableRow>
              <TableCell>Field</TableCell>
              <TableCell>Before</TableCell>
              <TableCell>After</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {keys.map((k) => {
              const b = shown(before?.[k]);
              const a = shown(after?.[k]);
              const changed = before !== null && after !== null && b !== a;
              return (
                <TableRow key={k} data-field={k} data-changed={String(changed)}>
                  <TableCell>{changed ? <b>{k}</b> : k}</TableCell>
                  <TableCell>{before === null ? '(none: created)' : b}</TableCell>
                  <TableCell>{after === null ? '(none: removed)' : a}</TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </Box>
  );
};

export default AuditDiff;
