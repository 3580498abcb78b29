import { applyFixScript, type ScriptOutcome } from './fix-scripts';
import { LabWindowsVm } from './lab-breaks';
import { resetKeyFileAcl } from './rdp-scripts';
import type { DiskContents } from './rescue-disks';
import { SimulatedWindowsVm, stamp } from './windows-vm';

/** A data disk of the rescue VM as its Windows sees it. */
export interface AttachedDisk {
  lun: number;
  contents: DiskContents;
}

/** The letters the simulated rescue VM gives the first attached disk's Windows and boot partitions. */
const WindowsLetter = 'F';
const BootLetter = 'G';
/** Windows numbers the rescue VM's disks: 0 its OS disk, 1 its temporary disk, 2 the first data disk. */
const DataDiskNumber = 2;

/**
 * The rescue VM the offline repair creates: a healthy Windows VM (a lab VM) whose Run Commands
 * also see its data disks. rescue-find-disk.ps1 reports the attached copy's partitions, and
 * the offline-*.ps1 scripts change what is on that disk, as the real scripts change the
 * attached disk's files and registry hives. A BitLocker-encrypted disk shows no Windows.
 */
export class RescueWindowsVm extends LabWindowsVm {
  constructor(
    name: string,
    clock: () => Date,
    private readonly attached: () => AttachedDisk[],
  ) {
    super(name, clock);
  }

  protected override apply(id: string, params: Record<string, string>): ScriptOutcome {
    if (id === 'rescue-find-disk') return this.findDisk();
    if (!id.startsWith('offline-')) return super.apply(id, params);
    const disk = this.diskAt(params.DriveLetter ?? '');
    const vm = new SimulatedWindowsVm('attached-disk', disk.contents.state, () => new Date());
    switch (id) {
      case 'offline-machinekeys': {
        const reset = resetKeyFileAcl(disk.contents.state, stamp(new Date()));
        return { ok: true, data: { failed: [], keyFile: reset.data.keyFile } };
      }
      case 'offline-enable-tls':
        return applyFixScript(
          'enable-tls',
          { Versions: params.Versions ?? '1.2', PauseGroupPolicy: 'false' },
          vm,
        );
      case 'offline-enable-nla': {
        const before = { ...disk.contents.state.nla };
        disk.contents.state.nla = { userAuthentication: 1, securityLayer: 1 };
        return { ok: true, data: { before, after: { ...disk.contents.state.nla } } };
      }
      case 'offline-enable-serial-dump': {
        const boot = params.BootDriveLetter || BootLetter;
        if (boot.toUpperCase() !== BootLetter) throw new Error(`No BCD store on ${boot}:`);
        const bcd = disk.contents.traits.generation === 2 ? 'EFI\\Microsoft\\Boot\\BCD' : 'Boot\\BCD';
        return { ok: true, data: { bcd: `${BootLetter}:\\${bcd}`, crashDumpEnabled: 1 } };
      }
      default:
        throw new Error(`The simulator does not know the script "${id}"`);
    }
  }

  /** The drive letter the real scripts are given: it must be the attached Windows partition. */
  private diskAt(letter: string): AttachedDisk {
    const first = this.attached()[0];
    if (!first || letter.toUpperCase() !== WindowsLetter || first.contents.traits.bitlocker)
      throw new Error(
        `No Windows installation at ${letter}:\\ (Windows\\System32\\config\\SYSTEM not found)`,
      );
    return first;
  }

  /** As rescue-find-disk.ps1: the attached disk's Windows and boot partitions, or BitLocker stops it. */
  private findDisk(): ScriptOutcome {
    const first = this.attached()[0];
    if (!first) throw new Error('No data disk is attached to this VM');
    const { generation, bitlocker } = first.contents.traits;
    if (bitlocker) {
      return {
        ok: false,
        data: {
          windowsDrive: null,
          bootDrive: null,
          generation,
          bitlocker: true,
          lun: first.lun,
          disk: DataDiskNumber,
        },
        error: 'The attached disk is encrypted with BitLocker: unlock it first',
      };
    }
    return {
      ok: true,
      data: {
        windowsDrive: WindowsLetter,
        bootDrive: BootLetter,
        generation,
        bitlocker: false,
        lun: first.lun,
        disk: DataDiskNumber,
      },
    };
  }
}
