import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SimulatedVmEntry } from './arm-resources';
import { ScenarioNames, scenarioFor } from './scenarios';

const inventorySchema = z.array(
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
      resourceGroup: z.string().regex(/^[A-Za-z0-9_.()-]{1,90}$/),
      scenario: z.string().optional(),
    })
    .strict(),
);

/**
 * Reads a simulator inventory file: `[{ "name", "resourceGroup", "scenario"? }]`, the
 * scenario picked by name (the VM name itself when absent). Unknown scenarios are refused.
 */
export function loadInventory(file: string): SimulatedVmEntry[] {
  const parsed = inventorySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  for (const [i, vm] of parsed.data.entries()) {
    const scenario = vm.scenario ?? vm.name;
    if (!scenarioFor(scenario) && !/^sim-(busy|throttled|forbidden)/.test(scenario)) {
      throw new Error(
        `${file}: ${i}.scenario: unknown scenario "${scenario}" (known: ${ScenarioNames.join(', ')}, sim-busy, sim-throttled, sim-forbidden)`,
      );
    }
  }
  return parsed.data.map((vm) => ({
    name: vm.name,
    resourceGroup: vm.resourceGroup,
    ...(vm.scenario ? { scenario: vm.scenario } : {}),
  }));
}
