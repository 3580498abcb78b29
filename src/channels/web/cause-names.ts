import type { Playbook } from '../../playbook/load-playbook';

/** Finds a loaded playbook by id; undefined when this server does not have it (any more). */
export type PlaybookLookup = (playbookId: string) => Playbook | undefined;

/** A cause's name for people (its title in the playbook); the id when the playbook is gone. */
export type CauseNames = (playbookId: string, causeId: string) => string;

/**
 * The pages name causes by their titles ("Another program owns the RDP port"), not by ids:
 * ids are the playbook's, titles are what the article says. The pages are in English.
 */
export function causeNamesOf(playbooks: PlaybookLookup | undefined): CauseNames {
  return (playbookId, causeId) =>
    playbooks?.(playbookId)?.causes.find((c) => c.id === causeId)?.title.en ?? causeId;
}
