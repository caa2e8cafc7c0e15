/** What to check when a NAS never answers CoA or Disconnect: said by the CLI and the panel alike. */
export const noAnswerHint = (nas: string): string =>
  `${nas} never answered. Check that it accepts CoA/Disconnect from this host on its CoA port (wispd nas list; MikroTik: /radius incoming set accept=yes port=3799) and that a firewall lets UDP through`;
