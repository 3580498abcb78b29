# rdp-fix-step: verify
# After the one restart, in one Run Command (each costs the operator 20-30 s):
# 1. Step 3.3 of the article, when enable-tls paused Group Policy (it left the old gpsvc
#    Start value in %ProgramData%\rdp-fix\gpsvc-start.txt): set the start type back to that
#    value with "sc.exe config" and start the service, then "gpupdate /force" (the text merged
#    the three commands into one line; in PowerShell "sc" is Set-Content, hence sc.exe). The
#    service control manager read Start=4 at boot and keeps it in memory, so a registry write
#    alone would not let "sc start" work before another restart: ChangeServiceConfig (what
#    sc.exe config calls) changes both. Without the file nothing is changed and gpupdate does
#    not run: Group Policy already applied at boot.
# 2. The same evidence as diagnose.ps1 (the region below is the same text; a test checks it),
#    so a TLS setting that a domain policy disabled again shows up here.
# The result's data is the evidence plus "groupPolicy" saying what was done. ok is false when
# Group Policy was paused and could not be switched back on: the playbook then offers the
# restore-group-policy step before the incident ends. Safe to run twice.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'verify'
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

# region group-policy: the same text in verify.ps1 and restore-group-policy.ps1 (test/playbook/scripts-parse.test.ts)
# Start value (Services\<name>\Start) to the sc.exe config word that sets it.
$StartTypes = @{ 2 = 'auto'; 3 = 'demand'; 4 = 'disabled' }

function Restore-GroupPolicy {
    $saved = Join-Path $env:ProgramData 'rdp-fix\gpsvc-start.txt'
    $gp = [ordered]@{ wasPaused = (Test-Path $saved); savedStart = $null; restored = $false; gpupdateExitCode = $null; error = $null }
    if (-not $gp.wasPaused) { return $gp }
    try {
        $text = (Get-Content -Path $saved -TotalCount 1).Trim()
        $value = 0
        # Anything but a start type we know (a damaged file) is restored as Automatic, Windows' default for gpsvc.
        if (-not [int]::TryParse($text, [ref]$value) -or -not $StartTypes.ContainsKey($value)) { $value = 2 }
        $gp.savedStart = $value
        $output = & sc.exe config gpsvc start= $StartTypes[$value]
        Write-Log ($output | Out-String)
        if ($LASTEXITCODE -ne 0) { throw "sc.exe config gpsvc failed with exit code $LASTEXITCODE" }
        if ($value -ne 4) {
            $output = & sc.exe start gpsvc
            Write-Log ($output | Out-String)
            # 1056: the service is already running.
            if ($LASTEXITCODE -ne 0 -and $LASTEXITCODE -ne 1056) { throw "sc.exe start gpsvc failed with exit code $LASTEXITCODE" }
            # gpupdate asks "OK to restart? (Y/N)" when a policy needs one; Run Command has no
            # console to answer it: the answer is No, the one restart of the playbook is done.
            $output = 'N' | & gpupdate.exe /force
            Write-Log ($output | Out-String)
            $gp.gpupdateExitCode = $LASTEXITCODE
        }
        Remove-Item -Path $saved
        $gp.restored = $true
    } catch {
        Write-Log ($_ | Out-String)
        $gp.error = $_.Exception.Message
    }
    return $gp
}
# endregion group-policy

# region evidence: the same text in diagnose.ps1 and verify.ps1 (test/playbook/scripts-parse.test.ts)
function Get-RegValue([string]$Path, [string]$Name) {
    $item = Get-ItemProperty -Path $Path -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return $item.$Name
}

# Services whose stop takes Windows, Remote Desktop or this agent down with it: Microsoft's
# "Guidance on disabling system services on Windows Server 2016 with Desktop Experience"
# (learn.microsoft.com/windows-server/security/windows-services/security-guidelines-for-disabling-system-services-in-windows-server)
# lists them as "Do not disable"; the Azure VM agent (WindowsAzureGuestAgent, RdAgent) runs
# this very Run Command.
$CriticalServices = @(
    'RpcSs', 'RpcEptMapper', 'DcomLaunch', 'LSM', 'TermService', 'SessionEnv', 'UmRdpService',
    'SamSs', 'KeyIso', 'Netlogon', 'EventLog', 'PlugPlay', 'Power', 'BrokerInfrastructure',
    'SystemEventsBroker', 'Schedule', 'Winmgmt', 'gpsvc', 'ProfSvc', 'CryptSvc', 'BFE', 'MpsSvc',
    'Dhcp', 'Dnscache', 'NlaSvc', 'nsi', 'LanmanServer', 'LanmanWorkstation', 'W32Time',
    'WinRM', 'WindowsAzureGuestAgent', 'RdAgent'
)

# Who listens on a port and whether Stop-Service can free it. Only a service can be stopped
# by name: PID 4 is the System process (a kernel listener such as HTTP.sys, shared by every
# URL reservation: "netsh http show servicestate" names the processes behind it), and a
# program that is no service has no service to stop. A service can be stopped only when it
# accepts a stop request: Win32_Service.AcceptStop, "Indicates whether the service can be
# stopped" (learn.microsoft.com/windows/win32/cimwin32prov/win32-service; SERVICE_ACCEPT_STOP
# in SERVICE_STATUS.dwControlsAccepted). Every service in the process counts: stopping one
# of a shared svchost does not free a socket another one holds.
function Get-PortOwner([int]$Port) {
    $conn = Get-NetTCPConnection -LocalPort $Port -State Listen -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $conn) { return $null }
    $ownerPid = [int]$conn.OwningProcess
    $process = Get-Process -Id $ownerPid -ErrorAction SilentlyContinue
    $hosted = @(Get-CimInstance -ClassName Win32_Service -Filter "ProcessId = $ownerPid")
    $names = @($hosted | ForEach-Object { $_.Name })
    $why = $null
    if ($ownerPid -eq 4) { $why = 'PID 4 is the System process (HTTP.sys or another kernel listener)' }
    elseif ($names.Count -eq 0) { $why = "$($process.ProcessName) is not a service" }
    else {
        $critical = @($names | Where-Object { $CriticalServices -contains $_ })
        $refusing = @($hosted | Where-Object { -not $_.AcceptStop } | ForEach-Object { $_.Name })
        if ($critical.Count -gt 0) { $why = "$($critical -join ', ') must keep running (core Windows service)" }
        elseif ($refusing.Count -gt 0) { $why = "$($refusing -join ', ') does not accept a stop request (AcceptStop false)" }
    }
    return [ordered]@{
        pid = $ownerPid; process = $process.ProcessName; services = $names
        stoppable = ($null -eq $why); notStoppableBecause = $why
    }
}

# What a client meets, from inside the VM: TCP connect to 127.0.0.1, an X.224 Connection
# Request asking for TLS or CredSSP (MS-RDPBCGR 2.2.1.1, RDP_NEG_REQ), then a TLS handshake.
# Windows PowerShell 5.1 runs on .NET Framework, whose SslStream offers only SSL 3.0/TLS 1.0
# unless told: the versions are named. Every wait is bounded (5 s).
function Test-RdpListener([int]$Port) {
    $probe = [ordered]@{ tcp = $false; x224 = $false; tls = $null; thumbprint = $null; error = $null }
    $client = New-Object System.Net.Sockets.TcpClient
    try {
        $connect = $client.BeginConnect('127.0.0.1', $Port, $null, $null)
        if (-not $connect.AsyncWaitHandle.WaitOne(5000)) { throw "TCP connect to 127.0.0.1:$Port timed out" }
        $client.EndConnect($connect)
        $probe.tcp = $true
        $stream = $client.GetStream()
        $stream.ReadTimeout = 5000
        $stream.WriteTimeout = 5000
        # TPKT (4) + X.224 CR (7) + RDP_NEG_REQ (8): requestedProtocols = PROTOCOL_SSL | PROTOCOL_HYBRID
        [byte[]]$request = 0x03, 0x00, 0x00, 0x13, 0x0E, 0xE0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00
        $stream.Write($request, 0, $request.Length)
        $response = New-Object byte[] 19
        $read = 0
        while ($read -lt 19) {
            $n = $stream.Read($response, $read, 19 - $read)
            if ($n -le 0) { break }
            $read += $n
        }
        # X.224 Connection Confirm is 0xD0; RDP_NEG_RSP type 2, RDP_NEG_FAILURE type 3.
        if ($read -lt 11 -or $response[5] -ne 0xD0) { throw 'no X.224 Connection Confirm (not an RDP listener)' }
        $probe.x224 = $true
        if ($read -ge 19 -and $response[11] -eq 3) { throw "RDP_NEG_FAILURE code $($response[15])" }
        if ($read -lt 19 -or $response[15] -eq 0) { throw 'the listener chose standard RDP security, not TLS' }
        $accept = [System.Net.Security.RemoteCertificateValidationCallback] { $true }
        $ssl = New-Object System.Net.Security.SslStream($stream, $false, $accept)
        $versions = [System.Security.Authentication.SslProtocols]'Tls, Tls11, Tls12'
        $ssl.AuthenticateAsClient('localhost', $null, $versions, $false)
        $probe.tls = ([string]$ssl.SslProtocol) -replace '^Tls$', 'TLS 1.0' -replace '^Tls1(\d)$', 'TLS 1.$1'
        $probe.thumbprint = (New-Object System.Security.Cryptography.X509Certificates.X509Certificate2($ssl.RemoteCertificate)).Thumbprint
    } catch {
        $probe.error = $_.Exception.Message
    } finally {
        $client.Close()
    }
    return $probe
}

function Get-Evidence {
    $rdpKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
    $rdpPort = [int](Get-RegValue $rdpKey 'PortNumber')
    Write-Log "RDP-Tcp PortNumber = $rdpPort"

    # The article's own check, kept in the log for people to read.
    & netstat.exe -anob 2>&1 | Out-String | ForEach-Object { Write-Log $_ }
    $listener = Get-PortOwner $rdpPort

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
    $probe = Test-RdpListener $rdpPort

    return [ordered]@{
        rdpPort      = $rdpPort
        listener     = $listener
        services     = $services
        certificate  = $certificate
        machineKeys  = $machineKeys
        tls          = $tls
        nla          = $nla
        probe        = $probe
        domainJoined = $domainJoined
    }
}
# endregion evidence

$groupPolicy = $null
try {
    $groupPolicy = Restore-GroupPolicy
    $data = Get-Evidence
    $data.groupPolicy = $groupPolicy
    Write-Log ($data | ConvertTo-Json -Depth 8)
    $message = if ($groupPolicy.error) { "Group Policy is still paused: $($groupPolicy.error)" } else { $null }
    Write-Result (-not $groupPolicy.error) $data $message
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false ([ordered]@{ groupPolicy = $groupPolicy }) $_.Exception.Message
}
