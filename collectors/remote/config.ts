import { section, string } from '../../config/define.ts';

export const collectSection = section('A remote poller (`wispd collect`): the site it polls and its collector token.', {
  site: string({
    default: '',
    pattern: /^$|^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    patternReason: 'must be a site name (letters, digits, ".", "_", "-")',
    doc: 'The site whose devices this poller polls (--site overrides it).',
  }),
  token: string({
    default: '',
    secret: true,
    doc: 'The token `wispd collector add --site <site>` printed (--token overrides it).',
  }),
});
