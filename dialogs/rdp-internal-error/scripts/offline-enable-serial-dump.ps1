# rdp-fix-step: offline-enable-serial-dump
# Offline repair, on the recovery VM: enable the boot menu, EMS (serial console) and memory
# dumps on the attached OS disk. The drive letter is a parameter, never assumed; the dump
# settings go to the active control set instead of ControlSet001/002 blindly. Disks of
# generation 2 VMs keep the BCD store on the EFI partition: the script says so if it is
# not at <drive>:\boot\bcd. Safe to run twice.
param(
    [string]$DriveLetter = 'F'
)

$ErrorActionPreference = 'Stop'
$stepId = 'offline-enable-serial-dump'
$log = Join-Path $env:ProgramData ('rdp-fix\logs\{0}-{1:yyyyMMdd-HHmmss}.log' -f $stepId, (Get-Date))
New-Item -ItemType Directory -Force -Path (Split-Path $log) | Out-Null

function Write-Log([string]$Message) {
    Add-Content -Path $log -Value ('{0:o} {1}' -f (Get-Date), $Message)
}

function Write-Result([bool]$Ok, $Data, [string]$ErrorMessage) {
    $result = [ordered]@{ step = $stepId; ok = $Ok; log = $log; data = $Data }
    if ($ErrorMessage) { $result.error = $ErrorMessage }
    Write-Output ('RDPFIX-RESULT: ' + ($result | ConvertTo-Json -Compress -Depth 8))
}

# Loads the attached disk's SYSTEM hive (the text's "SYSTEM.hiv" does not exist) and
# returns the path of its active control set, read from Select\Current.
function Mount-BrokenSystem([string]$Root) {
    if (-not (Test-Path 'HKLM:\BROKENSYSTEM')) {
        & reg.exe load 'HKLM\BROKENSYSTEM' "$Root\Windows\System32\config\SYSTEM" | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "reg load failed for $Root\Windows\System32\config\SYSTEM" }
    }
    $current = (Get-ItemProperty -Path 'HKLM:\BROKENSYSTEM\Select' -Name Current).Current
    return ('HKLM:\BROKENSYSTEM\ControlSet{0:D3}' -f [int]$current)
}

function Dismount-BrokenSystem {
    [gc]::Collect()
    & reg.exe unload 'HKLM\BROKENSYSTEM' | Out-Null
}

function Assert-DriveLetter([string]$Letter) {
    if ($Letter -notmatch '^[D-Zd-z]$') { throw "Invalid drive letter '$Letter': expected one letter D-Z" }
    $root = "$($Letter.ToUpper()):"
    if (-not (Test-Path "$root\Windows\System32\config\SYSTEM")) { throw "No Windows installation found on $root" }
    return $root
}
$data = [ordered]@{}
try {
    $root = Assert-DriveLetter $DriveLetter
    $bcd = "$root\boot\bcd"
    if (-not (Test-Path $bcd)) { throw "No BCD store at $bcd (generation 2 VM: mount the EFI partition and use EFI\Microsoft\Boot\BCD)" }
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
