import type { Risk } from '../core/types';

/**
 * How a step's risk looks, the same in every chat: a traffic light people read before the
 * words. Read-only is green; a change (Azure resources, the VM's configuration) amber; a
 * restart red, since the VM is gone for minutes and every session on it drops.
 */
export const RiskLook: Record<Risk, { emoji: string; level: 'low' | 'medium' | 'high' }> = {
  readOnly: { emoji: '🟢', level: 'low' },
  changesAzure: { emoji: '🟠', level: 'medium' },
  changesConfig: { emoji: '🟠', level: 'medium' },
  restartsVm: { emoji: '🔴', level: 'high' },
};

/**
 * Whether the approve button should look dangerous: a restart, or any step the playbook
 * asks to confirm (a port change moves where people connect).
 */
export function isRiskyStep(m: { risk?: Risk; confirm: boolean }): boolean {
  return m.confirm || m.risk === 'restartsVm';
}
