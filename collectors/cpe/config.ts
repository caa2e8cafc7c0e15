import { duration, section, url } from '../../config/define.ts';

export const cpeSection = section('The CPE collector: TR-069 devices read through a GenieACS NBI.', {
  genieacs_url: url({
    default: '',
    schemes: ['http', 'https'],
    secret: true,
    doc: 'The GenieACS NBI, e.g. http://acs.example.net:7557; empty turns the CPE collector off.',
  }),
  interval: duration({ default: '5m', min: '5s', max: '1d', doc: 'How often the CPE parameters are read.' }),
  timeout: duration({ default: '30s', min: '1s', max: '10m', doc: 'A query to the NBI that takes longer has failed.' }),
});
