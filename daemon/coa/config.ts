import { duration, integer, ipAddress, section } from '../../config/define.ts';

export const coaSection = section('CoA and Disconnect requests to the NAS (RFC 5176).', {
  address: ipAddress({
    default: '0.0.0.0',
    doc: 'Local address the CoA socket sends from (the NAS must accept it as its dynamic-authorization client).',
  }),
  timeout: duration({
    default: '1s',
    min: '50ms',
    max: '30s',
    doc: 'Wait for an answer before the first retransmission; doubled each time.',
  }),
  retries: integer({ default: 3, min: 0, max: 10, doc: 'Retransmissions after the first request.' }),
  deadline: duration({ default: '10s', min: '100ms', max: '2m', doc: 'A request with no answer by then has failed.' }),
});
