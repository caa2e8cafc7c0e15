/**
 * Notifications: the delivery log (newest first, by status), a test message through one channel, and the templates,
 * each editable (an edit naming a variable the template does not have is refused with the list of those it has) and
 * resettable to its default. From /admin/api/notify/* (admin/plugin-routes.ts).
 */
import {
  Box,
  Button,
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
  TextArea,
} from '@adminjs/design-system';
import React, { useCallback, useEffect, useState } from 'react';
import { cell, inputValue, json } from './json.ts';

interface Message {
  id: string;
  channel: string;
  recipient: string;
  template: string;
  category: string;
  subject: string;
  status: string;
  attempts: number;
  providerId: string | null;
  error: string | null;
  createdAt: string;
}
interface Template {
  name: string;
  doc: string;
  variables: Record<string, string>;
  subject: string;
  text: string;
  html?: string;
  sms?: string;
  edited: { by: string; at: string } | null;
}

const NotificationsPage: React.FC = () => {
  const [messages, setMessages] = useState<Message[]>([]);
  const [templates, setTemplates] = useState<Template[]>([]);
  const [status, setStatus] = useState('');
  const [to, setTo] = useState('');
  const [notice, setNotice] = useState<{ text: string; variant: 'success' | 'danger' } | undefined>();
  const [editing, setEditing] = useState<Template | undefined>();
  const [error, setError] = useState<string | undefined>();

  const load = useCallback(() => {
    json<{ messages: Message[] }>(`/admin/api/notify/messages${status ? `?status=${status}` : ''}`)
      .then((b) => setMessages(b.messages))
      .catch((err: Error) => setError(err.message));
    json<{ templates: Template[] }>('/admin/api/notify/templates')
      .then((b) => setTemplates(b.templates))
      .catch((err: Error) => setError(err.message));
  }, [status]);
  useEffect(() => {
    load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [load]);

  const test = (event: React.FormEvent) => {
    event.preventDefault();
    json<{ messages: Message[] }>('/admin/api/notify/test', { method: 'POST', body: { to } })
      .then((b) => {
        const m = b.messages[0];
        setNotice({
          text: m ? `Test to ${m.recipient}: ${m.status}${m.error ? ` (${m.error})` : ''}` : 'queued',
          variant: m?.status === 'sent' ? 'success' : 'danger',
        });
      })
      .catch((err: Error) => setNotice({ text: err.message, variant: 'danger' }))
      .finally(load);
  };
  const save = (event: React.FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    json(`/admin/api/notify/templates/${encodeURIComponent(editing.name)}`, {
      method: 'PUT',
      body: { subject: editing.subject, text: editing.text, html: editing.html ?? '', sms: editing.sms ?? '' },
    })
      .then(() => {
        setNotice({ text: `Template ${editing.name} saved.`, variant: 'success' });
        setEditing(undefined);
      })
      .catch((err: Error) => setNotice({ text: err.message, variant: 'danger' }))
      .finally(load);
  };
  const reset = (name: string) =>
    json(`/admin/api/notify/templates/${encodeURIComponent(name)}`, { method: 'DELETE' })
      .then(() => setNotice({ text: `Template ${name} is the default again.`, variant: 'success' }))
      .catch((err: Error) => setNotice({ text: err.message, variant: 'danger' }))
      .finally(load);

  if (error) return <MessageBox variant="danger" message={error} m="xl" />;
  return (
    <Box p="xl" data-notifications-page>
      <H2>Notifications</H2>
      {notice ? (
        <MessageBox
          variant={notice.variant}
          message={notice.text}
          mb="lg"
          data-notice
          onCloseClick={() => setNotice(undefined)}
        />
      ) : null}
      <Box
        as="form"
        variant="container"
        mb="lg"
        onSubmit={test}
        flex
        flexWrap="wrap"
        alignItems="flex-end"
        style={{ gap: 12 }}
      >
        <FormGroup mb={0}>
          <Label>Send a test to</Label>
          <Input
            name="to"
            value={to}
            placeholder="noc@isp.example, +351…, or webhook"
            onChange={(e: { target: unknown }) => setTo(inputValue(e))}
          />
        </FormGroup>
        <Button type="submit" variant="contained" data-action="send-test">
          Send test
        </Button>
      </Box>
      <Box variant="container" mb="lg" style={{ overflowX: 'auto' }}>
        <Box flex alignItems="center" mb="default" style={{ gap: 12 }}>
          <H5 mb={0}>Delivery log</H5>
          <select name="status" value={status} onChange={(e: { target: unknown }) => setStatus(inputValue(e))}>
            <option value="">every status</option>
            {['queued', 'held', 'sent', 'failed', 'suppressed', 'folded'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Box>
        {messages.length === 0 ? (
          <Text color="grey60">No messages.</Text>
        ) : (
          <Table data-table="messages">
            <TableHead>
              <TableRow>
                {['time', 'channel', 'to', 'template', 'subject', 'status', 'attempts', 'provider id', 'error'].map(
                  (c) => (
                    <TableCell key={c}>{c}</TableCell>
                  ),
                )}
              </TableRow>
            </TableHead>
            <TableBody>
              {messages.map((m) => (
                <TableRow key={m.id} data-message={m.id}>
                  <TableCell>{cell(m.createdAt)}</TableCell>
                  <TableCell>{m.channel}</TableCell>
                  <TableCell>{m.recipient}</TableCell>
                  <TableCell>{m.template}</TableCell>
                  <TableCell>{m.subject}</TableCell>
                  <TableCell data-status>{m.status}</TableCell>
                  <TableCell>{m.attempts}</TableCell>
                  <TableCell>{cell(m.providerId)}</TableCell>
                  <TableCell>{cell(m.error)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Box>
      <Box variant="container">
        <H5>Templates</H5>
        {templates.map((tpl) =>
          editing?.name === tpl.name ? (
            <Box as="form" key={tpl.name} onSubmit={save} mb="lg" data-editing={tpl.name}>
              <Text mb="default">
                {tpl.doc} Variables:{' '}
                {[...Object.keys(tpl.variables), 'customer_name'].map((v) => `{{${v}}}`).join(', ')}
              </Text>
              <FormGroup>
                <Label>Subject</Label>
                <Input
                  name="subject"
                  width={1}
                  value={editing.subject}
                  onChange={(e: { target: unknown }) => setEditing({ ...editing, subject: inputValue(e) })}
                />
              </FormGroup>
              <FormGroup>
                <Label>Text</Label>
                <TextArea
                  name="text"
                  width={1}
                  rows={5}
                  value={editing.text}
                  onChange={(e: { target: unknown }) => setEditing({ ...editing, text: inputValue(e) })}
                />
              </FormGroup>
              <FormGroup>
                <Label>SMS (empty: no SMS)</Label>
                <Input
                  name="sms"
                  width={1}
                  value={editing.sms ?? ''}
                  onChange={(e: { target: unknown }) => setEditing({ ...editing, sms: inputValue(e) })}
                />
              </FormGroup>
              <Button type="submit" variant="contained" mr="default" data-action="save-template">
                Save
              </Button>
              <Button type="button" variant="outlined" onClick={() => setEditing(undefined)}>
                Cancel
              </Button>
            </Box>
          ) : (
            <Box key={tpl.name} flex alignItems="center" mb="default" style={{ gap: 12 }} data-template={tpl.name}>
              <Text style={{ flex: 1 }}>
                <b>{tpl.name}</b> — {tpl.subject}
                {tpl.edited ? ` (edited by ${tpl.edited.by})` : ''}
              </Text>
              <Button size="sm" variant="outlined" onClick={() => setEditing(tpl)} data-action="edit">
                Edit
              </Button>
              {tpl.edited ? (
                <Button size="sm" variant="text" onClick={() => reset(tpl.name)} data-action="reset">
                  Reset
                </Button>
              ) : null}
            </Box>
          ),
        )}
      </Box>
    </Box>
  );
};

export default NotificationsPage;
