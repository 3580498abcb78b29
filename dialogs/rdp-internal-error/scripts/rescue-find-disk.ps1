# rdp-fix-step: rescue-find-disk
# Offline repair, on the rescue VM rdp-fix created: find the attached copy of the OS disk,
# bring it online, give its partitions drive letters and report them (shared/DESIGN.md,
# "Offline repair contract"): the Windows partition (the one holding
# Windows\System32\config\SYSTEM, as Azure/repair-script-library's scripts look for it on each
# partition of the attached disks, src/windows/common/helpers/Get-Disk-Partitions-v2.ps1) and
# the boot partition that holds the BCD store: System Reserved (the active partition, \Boot\BCD)
# on a generation 1 (MBR) disk, the EFI system partition (\EFI\Microsoft\Boot\BCD) on a
# generation 2 (GPT) disk. A BitLocker-encrypted partition stops the path: nothing is guessed,
# the result says how to unlock it. Changes nothing on the copy but its drive letters and its
# online state.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'rescue-find-disk'
# include: lib/result.ps1

# PARTITION_SYSTEM_GUID, the EFI system partition's GPT type
# (learn.microsoft.com/windows/win32/api/winioctl/ns-winioctl-partition_information_gpt).
$EfiType = '{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}'
# Partitions below 1 GiB are boot, recovery or reserved partitions, never Windows.
$OneGiB = 1073741824

# A letter for a partition that has none, then its letter. Add-PartitionAccessPath
# -AssignDriveLetter first; an EFI system partition may refuse it, so diskpart's "assign" (the
# way the offline scripts' own messages give) is the fallback
# (learn.microsoft.com/windows-server/administration/windows-commands/assign).
function Get-PartitionLetter($Partition) {
    if (-not $Partition.DriveLetter -or $Partition.DriveLetter -eq [char]0) {
        try {
            Add-PartitionAccessPath -DiskNumber $Partition.DiskNumber -PartitionNumber $Partition.PartitionNumber -AssignDriveLetter
        } catch {
            Write-Log "Add-PartitionAccessPath refused (disk $($Partition.DiskNumber), partition $($Partition.PartitionNumber)): $($_.Exception.Message); trying diskpart"
            $commands = "select disk $($Partition.DiskNumber)`r`nselect partition $($Partition.PartitionNumber)`r`nassign`r`n"
            $commands | & diskpart.exe | Out-String | ForEach-Object { Write-Log $_ }
        }
        $Partition = Get-Partition -DiskNumber $Partition.DiskNumber -PartitionNumber $Partition.PartitionNumber
    }
    if (-not $Partition.DriveLetter -or $Partition.DriveLetter -eq [char]0) { return $null }
    return [string]$Partition.DriveLetter
}

# Whether a volume is BitLocker-protected or unreadable as BitLocker leaves it: the
# Win32_EncryptableVolume class (root\cimv2\Security\MicrosoftVolumeEncryption, present when the
# BitLocker feature is) says so; without it, a large partition with no file system Windows can
# read is taken for an encrypted one, never for a healthy one.
function Test-Encrypted($Partition) {
    $volume = Get-Volume -Partition $Partition -ErrorAction SilentlyContinue
    if ($volume -and $volume.FileSystemLabel -eq 'Bek Volume') { return $false }
    try {
        $encryptable = Get-CimInstance -Namespace 'root\cimv2\Security\MicrosoftVolumeEncryption' -ClassName Win32_EncryptableVolume -ErrorAction Stop |
            Where-Object { $volume -and $_.DeviceID -eq $volume.Path }
        if ($encryptable -and ($encryptable.ProtectionStatus -ne 0 -or $encryptable.ConversionStatus -ne 0)) { return $true }
    } catch {
        Write-Log "BitLocker WMI class not available: $($_.Exception.Message)"
    }
    return ($Partition.Size -gt $OneGiB) -and (-not $volume -or -not $volume.FileSystemType -or $volume.FileSystemType -eq 'Unknown')
}

$data = [ordered]@{ windowsDrive = $null; bootDrive = $null; generation = $null; bitlocker = $false; lun = $null; disk = $null }
try {
    # The data disks: not the rescue VM's own boot/system disk.
    $disks = @(Get-Disk | Where-Object { -not $_.IsBoot -and -not $_.IsSystem })
    foreach ($disk in $disks) {
        if ($disk.IsOffline) { Set-Disk -Number $disk.Number -IsOffline $false }
        if ($disk.IsReadOnly) { Set-Disk -Number $disk.Number -IsReadOnly $false }
    }
    foreach ($disk in $disks) {
        $partitions = @(Get-Partition -DiskNumber $disk.Number -ErrorAction SilentlyContinue)
        $encrypted = @($partitions | Where-Object { Test-Encrypted $_ })
        $windows = $null
        foreach ($p in $partitions) {
            if ($p.GptType -eq $EfiType -or $p.Size -lt $OneGiB) { continue }
            $letter = Get-PartitionLetter $p
            if ($letter -and (Test-Path "${letter}:\Windows\System32\config\SYSTEM")) { $windows = $letter; break }
        }
        if (-not $windows -and $encrypted.Count -eq 0) { continue }
        $data.disk = $disk.Number
        $data.generation = if ($disk.PartitionStyle -eq 'GPT') { 2 } else { 1 }
        # The LUN Azure attached the disk at (Win32_DiskDrive.SCSILogicalUnit of the same disk index).
        $drive = Get-CimInstance -ClassName Win32_DiskDrive | Where-Object { $_.Index -eq $disk.Number } | Select-Object -First 1
        if ($drive) { $data.lun = [int]$drive.SCSILogicalUnit }
        if ($encrypted.Count -gt 0 -and -not $windows) {
            $data.bitlocker = $true
            throw "The copy's Windows partition (disk $($disk.Number)) is encrypted with BitLocker. Unlock it with its key before an offline repair: with Azure Disk Encryption, az vm repair create --unlock-encrypted-vm fetches the BEK from the key vault and runs manage-bde -unlock; otherwise manage-bde -unlock <letter>: -RecoveryPassword <the 48-digit recovery password from Active Directory, Entra ID or your records>."
        }
        $data.windowsDrive = $windows
        $boot = $partitions | Where-Object {
            ($data.generation -eq 2 -and $_.GptType -eq $EfiType) -or ($data.generation -eq 1 -and $_.IsActive)
        } | Select-Object -First 1
        if ($boot) {
            $bootLetter = Get-PartitionLetter $boot
            $bcd = if ($data.generation -eq 2) { 'EFI\Microsoft\Boot\BCD' } else { 'Boot\BCD' }
            if ($bootLetter -and (Test-Path "${bootLetter}:\$bcd")) { $data.bootDrive = $bootLetter }
        }
        # An MBR disk without System Reserved keeps its BCD store on the Windows partition.
        if (-not $data.bootDrive -and (Test-Path "${windows}:\Boot\BCD")) { $data.bootDrive = $windows }
        break
    }
    if (-not $data.windowsDrive) { throw 'No Windows installation on the attached disks (no Windows\System32\config\SYSTEM on any partition)' }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
