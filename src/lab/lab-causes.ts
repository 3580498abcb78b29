/**
 * The article's causes a lab VM can be broken with, one script each under deploy/lab/
 * (`break-<cause>.ps1`, first line `# rdp-fix-lab: break-<cause>`). The simulator applies
 * the same causes to its lab VMs (src/simulator/lab-breaks.ts), so the names live here,
 * shared by the CLI and the simulator.
 */
export const LabCauses = [
  'port-taken',
  'cert-expired',
  'machinekeys',
  'tls-disabled',
  'tls-policy',
  'all-three',
] as const;

export type LabCause = (typeof LabCauses)[number];

export function isLabCause(text: string): text is LabCause {
  return (LabCauses as readonly string[]).includes(text);
}

/** What each break does to the VM, as the confirmation question says it. */
export const LabCauseDescriptions: Record<LabCause, string> = {
  'port-taken':
    'stops TermService and starts a service of its own (RdpFixLabPort, a small HTTP listener) on the RDP port',
  'cert-expired':
    "makes an expired self-signed certificate the RDP listener's (Win32_TSGeneralSetting), in the Remote Desktop store in place of the valid one",
  machinekeys: "denies NETWORK SERVICE (S-1-5-20) read on the listener certificate's private key file",
  'tls-disabled': 'sets SCHANNEL Protocols\\TLS 1.0/1.1/1.2\\Server Enabled=0',
  'tls-policy':
    'sets TLS 1.0/1.1/1.2 Server Enabled=0 and a scheduled task that writes TLS 1.2 Enabled=0 again after every Group Policy refresh (as a domain GPO would)',
  'all-three': 'expired certificate, its key unreadable by NETWORK SERVICE, and TLS disabled',
};

/** The first line of a lab break script: how the simulator recognises one. */
export const LabScriptMarker = '# rdp-fix-lab:';

/** The tag every lab resource carries (its value: the lab id); destroy deletes only what has it. */
export const LabTag = 'rdp-fix-lab';

/** `break-<cause>` from a script's first line, or undefined for any other script. */
export function labScriptIdOf(text: string): string | undefined {
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  return first.startsWith(LabScriptMarker) ? first.slice(LabScriptMarker.length).trim() : undefined;
}
