# rdp-fix-step: diagnose
# Read-only. Gathers all the evidence for the article's causes in one Run Command and
# prints it as one JSON object on the last line: Azure returns only the last 4,096 bytes
# of output, so the result goes last and the details go to the log file on the VM.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'diagnose'
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

function Get-RegValue([string]$Path, [string]$Name) {
    $item = Get-ItemProperty -Path $Path -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return $item.$Name
}

try {
    $rdpKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
    $rdpPort = [int](Get-RegValue $rdpKey 'PortNumber')
    Write-Log "RDP-Tcp PortNumber = $rdpPort"

    # The article's own check, kept in the log for people to read.
    & netstat.exe -anob 2>&1 | Out-String | ForEach-Object { Write-Log $_ }

    $listener = $null
    $conn = Get-NetTCPConnection -LocalPort $rdpPort -State Listen -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($conn) {
        $ownerPid = [int]$conn.OwningProcess
        $process = Get-Process -Id $ownerPid -ErrorAction SilentlyContinue
        $hosted = @(Get-CimInstance -ClassName Win32_Service -Filter "ProcessId = $ownerPid" | ForEach-Object { $_.Name })
        $listener = [ordered]@{ pid = $ownerPid; process = $process.ProcessName; services = $hosted }
    }

    $services = [ordered]@{}
    foreach ($name in 'TermService', 'SessionEnv') {
        $svc = Get-Service -Name $name -ErrorAction SilentlyContinue
        if ($svc) { $services[$name] = [ordered]@{ status = [string]$svc.Status; startType = [string]$svc.StartType } }
        else { $services[$name] = $null }
    }
    $gpsvc = Get-Service -Name gpsvc -ErrorAction SilentlyContinue
    $services['gpsvc'] = [ordered]@{
        status = if ($gpsvc) { [string]$gpsvc.Status } else { $null }
        start  = Get-RegValue 'HKLM:\SYSTEM\CurrentControlSet\Services\gpsvc' 'Start'
    }

    $cert = Get-ChildItem -Path 'Cert:\LocalMachine\Remote Desktop\' -ErrorAction SilentlyContinue |
        Sort-Object -Property NotAfter -Descending | Select-Object -First 1
    if ($cert) {
        $certificate = [ordered]@{
            present       = $true
            thumbprint    = $cert.Thumbprint
            notAfter      = $cert.NotAfter.ToUniversalTime().ToString('o')
            expired       = ($cert.NotAfter -lt (Get-Date))
            hasPrivateKey = [bool]$cert.HasPrivateKey
        }
    } else {
        $certificate = [ordered]@{ present = $false; thumbprint = $null; notAfter = $null; expired = $null; hasPrivateKey = $null }
    }

    # The grants the article's Step 2.3 sets; compared case-insensitively (icacls writes "System").
    $keysPath = 'C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys'
    $required = [ordered]@{
        'NT AUTHORITY\SYSTEM'          = 'FullControl'
        'NT AUTHORITY\NETWORK SERVICE' = 'Read'
        'BUILTIN\Administrators'       = 'FullControl'
    }
    $missing = @()
    $acl = Get-Acl -Path $keysPath
    $aclLines = $acl.Access | ForEach-Object { '{0} {1} {2}' -f $_.IdentityReference, $_.FileSystemRights, $_.AccessControlType }
    Write-Log ("MachineKeys ACL:`n" + ($aclLines -join "`n"))
    foreach ($identity in $required.Keys) {
        $right = [System.Security.AccessControl.FileSystemRights]$required[$identity]
        $granted = $acl.Access | Where-Object {
            $_.AccessControlType -eq 'Allow' -and
            $_.IdentityReference.Value -ieq $identity -and
            (($_.FileSystemRights -band $right) -eq $right)
        }
        if (-not $granted) { $missing += $identity }
    }
    $machineKeys = [ordered]@{ aclOk = ($missing.Count -eq 0); missing = $missing }

    $tls = [ordered]@{}
    foreach ($version in 'TLS 1.0', 'TLS 1.1', 'TLS 1.2') {
        $tls[$version] = Get-RegValue "HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\$version\Server" 'Enabled'
    }

    $nla = [ordered]@{
        userAuthentication = Get-RegValue $rdpKey 'UserAuthentication'
        securityLayer      = Get-RegValue $rdpKey 'SecurityLayer'
    }
    $domainJoined = [bool](Get-CimInstance -ClassName Win32_ComputerSystem).PartOfDomain

    $data = [ordered]@{
        rdpPort      = $rdpPort
        listener     = $listener
        services     = $services
        certificate  = $certificate
        machineKeys  = $machineKeys
        tls          = $tls
        nla          = $nla
        domainJoined = $domainJoined
    }
    Write-Log ($data | ConvertTo-Json -Depth 8)
    Write-Result $true $data $null
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{}) $_.Exception.Message
}
