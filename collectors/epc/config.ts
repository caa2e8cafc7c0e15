import { boolean, duration, section } from '../../config/define.ts';

export const epcSection = section('The EPC collector: LTE/5G cores scraped in the Prometheus exposition format.', {
  enabled: boolean({ default: true, doc: 'Scrape the metrics URL of every device with role epc.' }),
  timeout: duration({ default: '5s', min: '100ms', max: '1m', doc: 'A scrape that takes longer has failed.' }),
});
