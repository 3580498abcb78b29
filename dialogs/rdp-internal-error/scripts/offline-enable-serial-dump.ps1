# rdp-fix-step: offline-enable-serial-dump
# Offline repair, on the recovery VM: enable the boot menu, EMS (serial console) and memory
# dumps on the attached OS disk. The drive letters are parameters, never assumed; the dump
# settings go to the active control set instead of ControlSet001/002 blindly.
# The BCD store is not on the Windows partition of an Azure disk (the text's F:\boot\bcd): it
# is \Boot\BCD on the System Reserved partition of a generation 1 disk and
# \EFI\Microsoft\Boot\BCD on the EFI system partition of a generation 2 disk (Microsoft's
# Azure/repair-script-library, src/windows/sac-enabler.ps1, looks for <letter>:\boot\bcd and
# <letter>:\efi\microsoft\boot\bcd on every volume for this reason). BootDriveLetter names
# that partition; left empty, the script looks for it on the disk that holds DriveLetter.
# Safe to run twice.
param(
    [string]$DriveLetter = 'F',
    [string]$BootDriveLetter = ''
)

$ErrorActionPreference = 'Stop'
$stepId = 'offline-enable-serial-dump'
# include: lib/result.ps1

# include: lib/offline-helpers.ps1

# The boot partition of the disk that holds the Windows partition: on a GPT disk (generation 2) the
# EFI system partition, type c12a7328-f81f-11d2-ba4b-00a0c93ec93b (PARTITION_SYSTEM_GUID,
# learn.microsoft.com/windows/win32/api/winioctl/ns-winioctl-partition_information_gpt); on an
# MBR disk (generation 1) the active partition (Get-Partition's IsActive,
# learn.microsoft.com/powershell/module/storage/get-partition). Returns "<letter>:" or throws.
function Find-BootPartition([string]$WindowsLetter) {
    $disk = (Get-Partition -DriveLetter $WindowsLetter).DiskNumber
    $boot = Get-Partition -DiskNumber $disk | Where-Object {
        $_.GptType -eq '{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}' -or $_.IsActive
    } | Select-Object -First 1
    if (-not $boot) { throw "No EFI system or active partition on disk ${disk}: give BootDriveLetter" }
    if (-not $boot.DriveLetter -or $boot.DriveLetter -eq [char]0) {
        throw "The boot partition (disk $disk, partition $($boot.PartitionNumber)) has no drive letter: assign one (diskpart: select disk $disk, select partition $($boot.PartitionNumber), assign letter=S) and give it as BootDriveLetter"
    }
    return "$($boot.DriveLetter):"
}

$data = [ordered]@{ before = [ordered]@{} }
try {
    $root = Assert-DriveLetter $DriveLetter
    if ($BootDriveLetter -and $BootDriveLetter -notmatch '^[D-Zd-z]$') { throw "Invalid boot drive letter '$BootDriveLetter': expected one letter D-Z" }
    $bootRoot = if ($BootDriveLetter) { "$($BootDriveLetter.ToUpper()):" } else { Find-BootPartition $root.Substring(0, 1) }
    # Generation 2 first: a generation 1 disk has no EFI folder.
    $bcd = @("$bootRoot\EFI\Microsoft\Boot\BCD", "$bootRoot\Boot\BCD") | Where-Object { Test-Path $_ } | Select-Object -First 1
    if (-not $bcd) { throw "No BCD store on $bootRoot (neither EFI\Microsoft\Boot\BCD nor Boot\BCD): is it the disk's System Reserved or EFI partition?" }
    $data.bcd = $bcd
    # The prior state: a copy of the store (bcdedit /store <copy> reads it; copying it back undoes the change).
    $data.bcdBackup = Join-Path $env:ProgramData ('rdp-fix\bcd-backup-{0:yyyyMMdd-HHmmss}' -f (Get-Date))
    Copy-Item -Path $bcd -Destination $data.bcdBackup
    $arguments = @(
        @('/set', '{bootmgr}', 'displaybootmenu', 'yes'),
        @('/set', '{bootmgr}', 'timeout', '5'),
        @('/set', '{bootmgr}', 'bootems', 'yes'),
        @('/ems', '{default}', 'ON'),
        @('/emssettings', 'EMSPORT:1', 'EMSBAUDRATE:115200')
    )
    foreach ($a in $arguments) {
        & bcdedit.exe /store $bcd @a | Out-String | ForEach-Object { Write-Log $_ }
        if ($LASTEXITCODE -ne 0) { throw "bcdedit $($a -join ' ') failed with exit code $LASTEXITCODE" }
    }
    $controlSet = Mount-BrokenSystem $root
    try {
        $crash = "$controlSet\Control\CrashControl"
        foreach ($name in 'CrashDumpEnabled', 'DumpFile', 'NMICrashDump') {
            # null = the value did not exist
            $data.before[$name] = (Get-ItemProperty -Path $crash -Name $name -ErrorAction SilentlyContinue).$name
        }
        Set-ItemProperty -Path $crash -Name CrashDumpEnabled -Value 1 -Type DWord
        Set-ItemProperty -Path $crash -Name DumpFile -Value '%SystemRoot%\MEMORY.DMP' -Type ExpandString
        Set-ItemProperty -Path $crash -Name NMICrashDump -Value 1 -Type DWord
        $data.controlSet = Split-Path $controlSet -Leaf
    } finally {
        Dismount-BrokenSystem
    }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
