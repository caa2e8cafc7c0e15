/**
 * Open5GS metrics as wispd metrics. Each network function (MME, AMF, SMF, UPF) serves its own exposition, so an EPC
 * device in the inventory is one of them and only its own names appear. Names are those of Open5GS's
 * `src/{mme,amf,smf,upf}/metrics.c` (v2.6–2.7); the MME attach counters come from builds that add them
 * (`mme_attach_*_total`, by PLMN and EMM cause).
 *
 * `rate` rules turn a counter into a per-second rate; `gauge` rules keep the value. Series of one rule that share
 * the values of its `instance` labels are summed: `gnb{addr=…}` has one series per gNodeB, `epc_gnb` is their count.
 * The instance is those label values joined with "/", or "" when the rule names none.
 */
export interface MetricRule {
  /** The Open5GS sample name. */
  source: string;
  metric: string;
  kind: 'gauge' | 'rate';
  instance?: readonly string[];
  /** Multiplies the value (or the rate). */
  scale?: number;
}

export const OPEN5GS_RULES: readonly MetricRule[] = [
  // MME (4G)
  { source: 'enb', metric: 'epc_enb', kind: 'gauge' },
  { source: 'enb_ue', metric: 'epc_ues_attached', kind: 'gauge' },
  { source: 'mme_session', metric: 'epc_sessions', kind: 'gauge' },
  { source: 'mme_attach_attempt_total', metric: 'epc_attach_requests', kind: 'rate' },
  { source: 'mme_attach_success_total', metric: 'epc_attach_success', kind: 'rate' },
  { source: 'mme_attach_reject_total', metric: 'epc_attach_failure', kind: 'rate', instance: ['cause'] },
  // AMF (5G)
  { source: 'gnb', metric: 'epc_gnb', kind: 'gauge' },
  { source: 'ran_ue', metric: 'epc_ues_attached', kind: 'gauge' },
  { source: 'amf_session', metric: 'epc_sessions', kind: 'gauge' },
  { source: 'fivegs_amffunction_rm_registeredsubnbr', metric: 'epc_ues_registered', kind: 'gauge' },
  { source: 'fivegs_amffunction_rm_reginitreq', metric: 'epc_registration_requests', kind: 'rate' },
  { source: 'fivegs_amffunction_rm_reginitsucc', metric: 'epc_registration_success', kind: 'rate' },
  {
    source: 'fivegs_amffunction_rm_reginitfail',
    metric: 'epc_registration_failure',
    kind: 'rate',
    instance: ['cause'],
  },
  { source: 'fivegs_amffunction_amf_authreject', metric: 'epc_auth_reject', kind: 'rate' },
  // SMF (PGW-C in 4G)
  { source: 'fivegs_smffunction_sm_sessionnbr', metric: 'epc_pdu_sessions', kind: 'gauge' },
  { source: 'ues_active', metric: 'epc_ues_active', kind: 'gauge' },
  { source: 'bearers_active', metric: 'epc_bearers', kind: 'gauge' },
  // UPF (PGW-U): "in" is GTP-U received from the RAN (uplink), "out" sent towards it (downlink)
  { source: 'fivegs_ep_n3_gtp_indatavolumen3upf', metric: 'epc_bytes_in', kind: 'rate' },
  { source: 'fivegs_ep_n3_gtp_outdatavolumen3upf', metric: 'epc_bytes_out', kind: 'rate' },
  { source: 'fivegs_ep_n3_gtp_indatavolumeqosleveln3upf', metric: 'epc_qos_bytes_in', kind: 'rate', instance: ['qfi'] },
  {
    source: 'fivegs_ep_n3_gtp_outdatavolumeqosleveln3upf',
    metric: 'epc_qos_bytes_out',
    kind: 'rate',
    instance: ['qfi'],
  },
  { source: 'fivegs_ep_n3_gtp_indatapktn3upf', metric: 'epc_packets_in', kind: 'rate' },
  { source: 'fivegs_ep_n3_gtp_outdatapktn3upf', metric: 'epc_packets_out', kind: 'rate' },
  { source: 'fivegs_upffunction_upf_sessionnbr', metric: 'epc_upf_sessions', kind: 'gauge' },
];
