/**
 * A plugin's page, drawn from what the plugin declared (ctx.admin.page, daemon/plugins/host.ts `AdminPage`): a list
 * from one of its staff routes, a form posting to another, buttons per row. The page's id is the last part of the
 * URL (/admin/pages/<plugin>-<page>); the routes check the permissions, the page only shows their answers.
 */
import {
  Box,
  Button,
  CheckBox,
  FormGroup,
  H2,
  H5,
  Input,
  Label,
  MessageBox,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Text,
} from '@adminjs/design-system';
import React, { useCallback, useEffect, useState } from 'react';
import { useLocation } from 'react-router-dom';
import { cell, inputValue, json } from './json.ts';

interface Column {
  key: string;
  label: string;
}
interface Action {
  label: string;
  method: string;
  path: string;
  body?: Record<string, unknown>;
  confirm?: string;
  when?: { key: string; equals: unknown };
  show?: { message: string[] } | { table: Column[] };
}
interface Field {
  key: string;
  label: string;
  type: 'text' | 'url' | 'select' | 'multiselect' | 'checkbox';
  options?: string[];
  required?: boolean;
  help?: string;
}
interface Spec {
  id: string;
  plugin: string;
  title: string;
  intro?: string;
  list: { path: string; columns: Column[]; actions?: Action[] };
  form?: { title: string; path: string; submit: string; fields: Field[]; show?: string[] };
}
type Row = Record<string, unknown>;

const Grid: React.FC<{ columns: Column[]; rows: Row[]; extra?: (r: Row) => React.ReactNode; name: string }> = ({
  columns,
  rows,
  extra,
  name,
}) => (
  <Table mb="lg" data-table={name}>
    <TableHead>
      <TableRow>
        {columns.map((c) => (
          <TableCell key={c.key}>{c.label}</TableCell>
        ))}
        {extra ? <TableCell /> : null}
      </TableRow>
    </TableHead>
    <TableBody>
      {rows.map((r, i) => (
        <TableRow key={String(r.id ?? i)} data-row={String(r.id ?? i)}>
          {columns.map((c) => (
            <TableCell key={c.key} data-column={c.key}>
              {cell(r[c.key])}
            </TableCell>
          ))}
          {extra ? <TableCell>{extra(r)}</TableCell> : null}
        </TableRow>
      ))}
    </TableBody>
  </Table>
);

const PluginPage: React.FC = () => {
  const id = decodeURIComponent(useLocation().pathname.split('/').pop() ?? '');
  const [spec, setSpec] = useState<Spec | undefined>();
  const [rows, setRows] = useState<Row[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [message, setMessage] = useState<{ text: string; variant: 'success' | 'danger' } | undefined>();
  const [detail, setDetail] = useState<{ title: string; columns: Column[]; rows: Row[] } | undefined>();
  const [form, setForm] = useState<Record<string, unknown>>({});
  const [busy, setBusy] = useState(false);
  const base = spec ? `/api/v1/${spec.plugin}/` : '';

  const load = useCallback(
    (s: Spec) =>
      json<{ data: Row[] }>(`/api/v1/${s.plugin}/${s.list.path}`)
        .then((b) => setRows(b.data))
        .catch((err: Error) => setError(err.message)),
    [],
  );
  useEffect(() => {
    json<{ page: Spec }>(`/admin/api/plugin-pages/${encodeURIComponent(id)}`)
      .then((b) => {
        setSpec(b.page);
        return load(b.page);
      })
      .catch((err: Error) => setError(err.message));
  }, [id, load]);

  const run = async (a: Action, r: Row) => {
    if (a.confirm && !(globalThis as unknown as { confirm(m: string): boolean }).confirm(a.confirm)) return;
    setBusy(true);
    try {
      const answer = await json<Row & { data?: Row[] }>(
        `${base}${a.path.replace('{id}', encodeURIComponent(String(r.id)))}`,
        {
          method: a.method,
          ...(a.method === 'GET' ? {} : { body: a.body ?? {} }),
        },
      );
      if (a.show && 'table' in a.show) {
        setDetail({ title: `${a.label}: ${cell(r.id)}`, columns: a.show.table, rows: answer.data ?? [] });
      } else {
        const keys = a.show?.message ?? [];
        const parts = keys
          .filter((k) => answer[k] !== null && answer[k] !== undefined)
          .map((k) => `${k}: ${cell(answer[k])}`);
        setMessage({ text: `${a.label}: ${parts.length ? parts.join(' · ') : 'done'}`, variant: 'success' });
      }
    } catch (err) {
      setMessage({ text: `${a.label}: ${(err as Error).message}`, variant: 'danger' });
    } finally {
      setBusy(false);
      if (spec) void load(spec);
    }
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!spec?.form) return;
    setBusy(true);
    try {
      const answer = await json<Row>(`${base}${spec.form.path}`, { method: 'POST', body: form });
      const shown = (spec.form.show ?? []).map((k) => `${k}: ${cell(answer[k])}`);
      setMessage({
        text: `Saved.${shown.length ? ` ${shown.join(' · ')} (shown this once)` : ''}`,
        variant: 'success',
      });
      setForm({});
      void load(spec);
    } catch (err) {
      setMessage({ text: (err as Error).message, variant: 'danger' });
    } finally {
      setBusy(false);
    }
  };

  if (error) return <MessageBox variant="danger" message={error} m="xl" />;
  if (!spec) return <Text m="xl">Loading…</Text>;
  const setField = (k: string, v: unknown) => setForm((f) => ({ ...f, [k]: v }));
  return (
    <Box p="xl" data-plugin-page={spec.id}>
      <H2>{spec.title}</H2>
      {spec.intro ? <Text mb="lg">{spec.intro}</Text> : null}
      {message ? (
        <MessageBox
          variant={message.variant}
          message={message.text}
          mb="lg"
          data-message
          onCloseClick={() => setMessage(undefined)}
        />
      ) : null}
      <Box variant="container" mb="lg" style={{ overflowX: 'auto' }}>
        {rows.length === 0 ? (
          <Text color="grey60">Nothing yet.</Text>
        ) : (
          <Grid
            name="list"
            columns={spec.list.columns}
            rows={rows}
            extra={
              spec.list.actions?.length
                ? (r) => (
                    <Box flex flexWrap="wrap" style={{ gap: 8 }}>
                      {spec.list
                        .actions!.filter((a) => !a.when || r[a.when.key] === a.when.equals)
                        .map((a) => (
                          <Button
                            key={a.label}
                            size="sm"
                            variant="outlined"
                            disabled={busy}
                            onClick={() => void run(a, r)}
                            data-action={a.label}
                          >
                            {a.label}
                          </Button>
                        ))}
                    </Box>
                  )
                : undefined
            }
          />
        )}
      </Box>
      {detail ? (
        <Box variant="container" mb="lg" data-detail>
          <H5>{detail.title}</H5>
          {detail.rows.length ? (
            <Grid name="detail" columns={detail.columns} rows={detail.rows} />
          ) : (
            <Text>Nothing yet.</Text>
          )}
        </Box>
      ) : null}
      {spec.form ? (
        <Box as="form" variant="container" onSubmit={submit} data-form>
          <H5>{spec.form.title}</H5>
          {spec.form.fields.map((f) => (
            <FormGroup key={f.key}>
              <Label required={f.required}>{f.label}</Label>
              {f.type === 'multiselect' ? (
                <Box flex flexWrap="wrap" style={{ gap: 12 }} data-field={f.key}>
                  {(f.options ?? []).map((o) => {
                    const chosen = ((form[f.key] as string[] | undefined) ?? []).includes(o);
                    return (
                      <Box key={o} flex alignItems="center">
                        <CheckBox
                          id={`${f.key}-${o}`}
                          checked={chosen}
                          onChange={() =>
                            setField(
                              f.key,
                              chosen
                                ? ((form[f.key] as string[]) ?? []).filter((x) => x !== o)
                                : [...((form[f.key] as string[] | undefined) ?? []), o],
                            )
                          }
                        />
                        <Label inline htmlFor={`${f.key}-${o}`} ml="sm">
                          {o}
                        </Label>
                      </Box>
                    );
                  })}
                </Box>
              ) : f.type === 'checkbox' ? (
                <CheckBox id={f.key} checked={Boolean(form[f.key])} onChange={() => setField(f.key, !form[f.key])} />
              ) : f.type === 'select' ? (
                <select
                  name={f.key}
                  value={String(form[f.key] ?? '')}
                  onChange={(e: { target: unknown }) => setField(f.key, inputValue(e))}
                >
                  <option value="" />
                  {(f.options ?? []).map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              ) : (
                <Input
                  name={f.key}
                  type={f.type === 'url' ? 'url' : 'text'}
                  required={f.required}
                  value={String(form[f.key] ?? '')}
                  onChange={(e: { target: unknown }) => setField(f.key, inputValue(e))}
                  width={1}
                />
              )}
              {f.help ? (
                <Text variant="sm" color="grey60">
                  {f.help}
                </Text>
              ) : null}
            </FormGroup>
          ))}
          <Button type="submit" variant="contained" disabled={busy} data-testid="plugin-form-submit">
            {spec.form.submit}
          </Button>
        </Box>
      ) : null}
    </Box>
  );
};

export default PluginPage;
