/**
 * The form of every panel action that calls the core (disconnect, change rate, suspend, resume, top-up, FUP reset, and
 * their bulk forms): what it will do, its fields, one button. It posts (a GET never acts, so a link cannot act for
 * someone), then shows the outcome twice: as a notice, and on the page until the next submit.
 */
import { Box, Button, FormGroup, Input, Label, MessageBox, Select, Text } from '@adminjs/design-system';
import { type ActionProps, ApiClient, useNotice } from 'adminjs';
import React, { useState } from 'react';

/** What an action declares in its `custom` option (admin/panel/actions/*.ts). */
interface FormField {
  name: string;
  label: string;
  placeholder?: string;
  options?: string[];
}

interface FormSpec {
  intro: string;
  submit: string;
  fields?: FormField[];
}

interface Outcome {
  message: string;
  type: 'success' | 'error' | 'info';
}

const api = new ApiClient();

const ActionForm: React.FC<ActionProps> = ({ action, resource, record, records }) => {
  const spec = action.custom as FormSpec;
  const fields = spec.fields ?? [];
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(fields.map((f) => [f.name, f.options?.[0] ?? ''])),
  );
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const addNotice = useNotice();
  const target = record ? record.title : `${records?.length ?? 0} selected`;

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      const response = record
        ? await api.recordAction({
            resourceId: resource.id,
            recordId: record.id,
            actionName: action.name,
            data: values,
          })
        : await api.bulkAction({
            resourceId: resource.id,
            recordIds: (records ?? []).map((r) => r.id),
            actionName: action.name,
            data: values,
          });
      const notice = (response.data.notice ?? { message: 'done', type: 'success' }) as Outcome;
      setOutcome(notice);
      addNotice(notice);
    } catch {
      const failed: Outcome = { message: 'The request failed; the daemon log has the cause.', type: 'error' };
      setOutcome(failed);
      addNotice(failed);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Box as="form" variant="container" onSubmit={submit} data-testid="action-form">
      <Text mb="lg">
        {spec.intro} <strong>{target}</strong>
      </Text>
      {fields.map((f) => (
        <FormGroup key={f.name}>
          <Label htmlFor={f.name}>{f.label}</Label>
          {f.options ? (
            <Select
              inputId={f.name}
              value={{ value: values[f.name], label: values[f.name] }}
              options={f.options.map((o) => ({ value: o, label: o }))}
              onChange={(o: { value: string } | null) => setValues({ ...values, [f.name]: o?.value ?? '' })}
            />
          ) : (
            <Input
              id={f.name}
              name={f.name}
              placeholder={f.placeholder}
              value={values[f.name] ?? ''}
              onChange={(e: React.ChangeEvent<HTMLInputElement>) =>
                // The project's TypeScript has no DOM library: an input element is known only by what React says.
                setValues({ ...values, [f.name]: (e.target as unknown as { value: string }).value })
              }
            />
          )}
        </FormGroup>
      ))}
      <Button type="submit" variant="contained" disabled={busy} data-testid="action-submit">
        {busy ? 'Working…' : spec.submit}
      </Button>
      {outcome ? (
        <MessageBox
          mt="xl"
          message={outcome.message}
          variant={outcome.type === 'error' ? 'danger' : outcome.type}
          data-testid="action-outcome"
        />
      ) : null}
    </Box>
  );
};

export default ActionForm;
