# rdp-fix-step: offline-enable-tls
# Offline repair, on the recovery VM: report the TLS values of the attached disk first
# (the text's "check" step wrote values instead of reading them), then set
# Server\Enabled=1 for the chosen versions in the active control set. The text cut a line
# at "REG_DWO"; every value here is a full REG_DWORD. Safe to run twice.
param(
    [string]$DriveLetter = 'F',
    [string]$Versions = '1.2'
)

$ErrorActionPreference = 'Stop'
$stepId = 'offline-enable-tls'
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
$data = [ordered]@{ before = [ordered]@{}; after = [ordered]@{} }
try {
    if ($Versions -notin @('1.2', '1.0,1.1,1.2')) { throw "Invalid TLS versions '$Versions'" }
    $root = Assert-DriveLetter $DriveLetter
    $controlSet = Mount-BrokenSystem $root
    try {
        foreach ($version in 'TLS 1.0', 'TLS 1.1', 'TLS 1.2') {
            $key = "$controlSet\Control\SecurityProviders\SCHANNEL\Protocols\$version\Server"
            $data.before[$version] = (Get-ItemProperty -Path $key -Name Enabled -ErrorAction SilentlyContinue).Enabled
            if ($Versions.Split(',') -contains $version.Substring(4)) {
                New-Item -Path $key -Force | Out-Null
                New-ItemProperty -Path $key -Name Enabled -Value 1 -PropertyType DWord -Force | Out-Null
            }
            $data.after[$version] = (Get-ItemProperty -Path $key -Name Enabled -ErrorAction SilentlyContinue).Enabled
        }
    } finally {
        Dismount-BrokenSystem
    }
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
