# lib/evidence.ps1: the evidence for the article's causes (shared/DESIGN.md, "Script result
# contract", version 2). Spliced where diagnose.ps1 and verify.ps1 say
# "# include: lib/evidence.ps1" (src/playbook/script-includes.ts): the verification reads
# exactly what the diagnosis read. Needs Write-Log (lib/result.ps1).
#
# Each check runs on its own (Invoke-Check): one that throws is named under "unknown" with its
# reason and its fields are left out, and every other check is still reported. An "Access
# denied" from Get-Acl is exactly what the broken-permissions case looks like, so it must not
# hide the rest. A native program's stderr is never redirected (2>&1, 2>$null, 2>file) under
# ErrorActionPreference Stop: in Windows PowerShell 5.1 any such redirection turns each stderr
# line into an error record, and Stop makes the first one terminating (about_Redirection;
# PowerShell 7.2 changed this, PSNotApplyErrorActionToStderr). Left alone, it goes to the Run
# Command's own StdErr.

# Well-known SIDs (learn.microsoft.com/windows/win32/secauthz/well-known-sids). Accounts are
# compared by SID, never by name: names are localized ("NT-AUTORITÄT\NETZWERKDIENST").
$SidSystem = 'S-1-5-18'
$SidNetworkService = 'S-1-5-20'
$SidAdministrators = 'S-1-5-32-544'
# What a NETWORK SERVICE token holds besides its own SID: Everyone and Authenticated Users
# ("NetworkService Account", learn.microsoft.com/windows/win32/services/networkservice-account),
# Users (a member of it by default) and SERVICE (every service logon). An ACE for any of them
# reaches TermService, which runs as NETWORK SERVICE.
$NetworkServiceTokenSids = @($SidNetworkService, 'S-1-1-0', 'S-1-5-11', 'S-1-5-32-545', 'S-1-5-6')

$RdpTcpKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
$Unknown = [ordered]@{}

# A value of the registry, $null when the key or the value is absent (absent = Windows' default).
function Get-RegValue([string]$Path, [string]$Name) {
    if (-not (Test-Path -LiteralPath $Path)) { return $null }
    $item = Get-ItemProperty -LiteralPath $Path -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return $item.$Name
}

# Runs one check; on failure records "<name>": "<why>" under unknown and returns $null. The
# check is a scriptblock run in a child scope of this function, so it sees this function's
# variables before its caller's (PowerShell's dynamic scoping, names without case): they are
# named so that no check reads them by mistake ($rdpfixCheck…).
function Invoke-Check([string]$rdpfixCheckName, [scriptblock]$rdpfixCheck) {
    try {
        return (& $rdpfixCheck)
    } catch {
        $inner = $_.Exception
        while ($inner.InnerException) { $inner = $inner.InnerException }
        $rdpfixWhy = $inner.Message -replace '\s+', ' '
        if ($rdpfixWhy.Length -gt 160) { $rdpfixWhy = $rdpfixWhy.Substring(0, 157) + '...' }
        $Unknown[$rdpfixCheckName] = $rdpfixWhy
        Write-Log ("check $rdpfixCheckName failed: " + ($_ | Out-String))
        return $null
    }
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

# Who listens on a port, on every address, and whether Stop-Service can free it. Only a
# service can be stopped by name: PID 4 is the System process (a kernel listener such as
# HTTP.sys, shared by every URL reservation: "netsh http show servicestate" names the processes
# behind it), and a program that is no service has no service to stop. A service can be stopped
# only when it accepts a stop request: Win32_Service.AcceptStop, "Indicates whether the service
# can be stopped" (learn.microsoft.com/windows/win32/cimwin32prov/win32-service). Every service
# in the process counts: stopping one of a shared svchost does not free a socket another holds.
# When several processes listen (one per address), the one that is not TermService is reported:
# it is the one in the way.
function Get-PortOwner([int]$Port) {
    $conns = @(Get-NetTCPConnection -LocalPort $Port -State Listen -ErrorAction SilentlyContinue)
    if ($conns.Count -eq 0) { return $null }
    $owners = @()
    foreach ($ownerPid in @($conns | ForEach-Object { [int]$_.OwningProcess } | Sort-Object -Unique)) {
        $hosted = @(Get-CimInstance -ClassName Win32_Service -Filter "ProcessId = $ownerPid")
        $owners += [pscustomobject]@{ Pid = $ownerPid; Hosted = $hosted; IsRdp = [bool]($hosted | Where-Object { $_.Name -eq 'TermService' }) }
    }
    $owner = @($owners | Where-Object { -not $_.IsRdp })[0]
    if (-not $owner) { $owner = $owners[0] }
    $ownerPid = $owner.Pid
    $process = Get-Process -Id $ownerPid -ErrorAction SilentlyContinue
    $processName = if ($ownerPid -eq 4) { 'System' } elseif ($process) { $process.ProcessName } else { "pid $ownerPid" }
    $names = @($owner.Hosted | ForEach-Object { $_.Name })
    $why = $null
    if ($ownerPid -eq 4) { $why = 'PID 4 is the System process (HTTP.sys or another kernel listener)' }
    elseif ($names.Count -eq 0) { $why = "$processName is not a service" }
    else {
        $critical = @($names | Where-Object { $CriticalServices -contains $_ })
        $refusing = @($owner.Hosted | Where-Object { -not $_.AcceptStop } | ForEach-Object { $_.Name })
        if ($critical.Count -gt 0) { $why = "$($critical -join ', ') must keep running (core Windows service)" }
        elseif ($refusing.Count -gt 0) { $why = "$($refusing -join ', ') does not accept a stop request (AcceptStop false)" }
    }
    $addresses = @($conns | Where-Object { [int]$_.OwningProcess -eq $ownerPid } | ForEach-Object { [string]$_.LocalAddress } | Sort-Object -Unique)
    return [ordered]@{
        pid = $ownerPid; process = $processName; services = $names
        stoppable = ($null -eq $why); notStoppableBecause = $why
        addresses = $addresses
    }
}

# Whether an ACL lets NETWORK SERVICE read: an Allow ACE with read access for a SID in its
# token and no Deny ACE for one (a Deny wins: "Order of ACEs in a DACL",
# learn.microsoft.com/windows/win32/secauthz/order-of-aces-in-a-dacl). By SID, so a localized
# name or an orphaned account never fools it.
function Test-NetworkServiceCanRead($Acl) {
    $read = [System.Security.AccessControl.FileSystemRights]::ReadData
    $aces = @($Acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier]) |
        Where-Object { $NetworkServiceTokenSids -contains $_.IdentityReference.Value -and (($_.FileSystemRights -band $read) -eq $read) })
    $denied = @($aces | Where-Object { $_.AccessControlType -eq 'Deny' })
    $allowed = @($aces | Where-Object { $_.AccessControlType -eq 'Allow' })
    return [ordered]@{ readable = ($denied.Count -eq 0 -and $allowed.Count -gt 0); deniedTo = @($denied | ForEach-Object { $_.IdentityReference.Value }) }
}

# The certificate the listener really uses. The RDP-Tcp listener reads its certificate's SHA-1
# hash from Win32_TSGeneralSetting.SSLCertificateSHA1Hash (root\cimv2\TerminalServices;
# learn.microsoft.com/windows/win32/termserv/win32-tsgeneralsetting), which is also the
# SSLCertificateSHA1Hash value a person pins under the RDP-Tcp key ("Remote Desktop listener
# certificate configurations", learn.microsoft.com/troubleshoot/windows-server/remote/remote-desktop-listener-certificate-configurations).
# A pinned certificate lives in LocalMachine\My; the self-signed one TermService makes for
# itself in LocalMachine\Remote Desktop. Without a usable hash, the newest self-signed one.
function Get-ListenerCertificate {
    $hash = $null
    # WMI names the certificate in use, the self-signed one included; only the registry value
    # says that a person pinned one.
    $pin = Get-RegValue $RdpTcpKey 'SSLCertificateSHA1Hash'
    $pinned = $null
    if ($pin) { $pinned = (($pin | ForEach-Object { '{0:X2}' -f $_ }) -join '') }
    $setting = Get-CimInstance -Namespace 'root\cimv2\TerminalServices' -ClassName Win32_TSGeneralSetting -Filter "TerminalName='RDP-Tcp'"
    if ($setting -and $setting.SSLCertificateSHA1Hash -and $setting.SSLCertificateSHA1Hash -notmatch '^0+$') {
        $hash = ([string]$setting.SSLCertificateSHA1Hash).ToUpperInvariant()
    }
    if (-not $hash) { $hash = $pinned }
    $cert = $null
    $source = 'none'
    if ($hash) {
        $cert = Get-Item -LiteralPath "Cert:\LocalMachine\My\$hash" -ErrorAction SilentlyContinue
        if ($cert) { $source = 'pinned' }
        else {
            $cert = Get-Item -LiteralPath "Cert:\LocalMachine\Remote Desktop\$hash" -ErrorAction SilentlyContinue
            if ($cert) { $source = 'remote-desktop-store' }
        }
    }
    if (-not $cert) {
        # The store may not exist at all (no certificate was ever made): that is "none", not a failed check.
        $cert = Get-ChildItem -Path 'Cert:\LocalMachine\Remote Desktop\' -ErrorAction SilentlyContinue | Sort-Object -Property NotAfter -Descending | Select-Object -First 1
        if ($cert) { $source = 'remote-desktop-store' }
    }
    if (-not $cert) {
        # A pinned certificate that is gone is said as such; a self-signed one that is gone is "none".
        if ($pinned) { return [ordered]@{ present = $false; thumbprint = $pinned; notAfter = $null; expired = $null; hasPrivateKey = $null; source = 'pinned' } }
        return [ordered]@{ present = $false; thumbprint = $null; notAfter = $null; expired = $null; hasPrivateKey = $null; source = 'none' }
    }
    return [ordered]@{
        present       = $true
        thumbprint    = $cert.Thumbprint
        notAfter      = $cert.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
        expired       = ($cert.NotAfter -lt (Get-Date))
        hasPrivateKey = [bool]$cert.HasPrivateKey
        source        = $source
        cert          = $cert
    }
}

# The file that holds the certificate's private key and whether NETWORK SERVICE can read it:
# Schannel opens it as TermService's account, and when it cannot, logs 36870 "A fatal error
# occurred when attempting to access the TLS server credential private key" and RDP fails
# ("Troubleshoot Azure VM RDP connection issues by Event ID", learn.microsoft.com/troubleshoot/azure/virtual-machines/event-id-troubleshoot-vm-rdp-connecton).
# CryptoAPI machine keys are files in Crypto\RSA\MachineKeys, CNG keys in Crypto\Keys ("Key
# Storage and Retrieval", learn.microsoft.com/windows/win32/seccng/key-storage-and-retrieval),
# each named by the key's unique container name. .NET Framework 4.6+ opens even a CryptoAPI
# software key through CNG and hands back an RSACng (dotnet/corefx#3502), so the folder is not
# told by the .NET type: the name is looked for in both. Opening the key runs as SYSTEM here.
function Get-KeyFile($Cert) {
    $crypto = Join-Path $env:ProgramData 'Microsoft\Crypto'
    $unique = $null
    try {
        # A CryptoAPI key: X509Certificate2.PrivateKey is an RSACryptoServiceProvider on .NET Framework.
        $capi = $Cert.PrivateKey
        if ($capi -and $capi.CspKeyContainerInfo) { $unique = $capi.CspKeyContainerInfo.UniqueKeyContainerName }
    } catch {
        # A CNG key ("Invalid provider type specified") or a key that cannot be opened: try CNG below.
        Write-Log ("PrivateKey: " + $_.Exception.Message)
    }
    if (-not $unique) {
        try {
            $rsa = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Cert)
            if ($rsa -is [System.Security.Cryptography.RSACng]) { $unique = $rsa.Key.UniqueName }
            elseif ($rsa) { $unique = $rsa.CspKeyContainerInfo.UniqueKeyContainerName }
        } catch {
            # PowerShell wraps a .NET method's exception (MethodInvocationException): read the innermost.
            $inner = $_.Exception
            while ($inner.InnerException) { $inner = $inner.InnerException }
            $code = $inner.HResult -band 0xFFFFFFFF
            # E_ACCESSDENIED even for SYSTEM: the key's file exists and its ACL locks it.
            if ($code -eq 0x80070005) { return [ordered]@{ found = $true; readable = $false; path = $null; deniedTo = @($SidSystem) } }
            # NTE_BAD_KEYSET ("Keyset does not exist") also comes back for a file that exists but
            # cannot be opened. TermService's self-signed key lives in the CryptoAPI container whose
            # file starts f686aace6942fb7f7ceb231212eef4a4 (shared/ARTICLE.md): if that file is
            # there, the key is not gone, it is locked; anything else is gone.
            if ($code -eq 0x80090016) {
                $selfSigned = @(Get-ChildItem -LiteralPath (Join-Path $crypto 'RSA\MachineKeys') -Filter 'f686aace6942fb7f7ceb231212eef4a4_*' -ErrorAction SilentlyContinue)
                if ($Cert.PSParentPath -like '*Remote Desktop' -and $selfSigned.Count -gt 0) {
                    $path = $selfSigned[0].FullName
                    $access = Test-NetworkServiceCanRead (Get-Acl -LiteralPath $path)
                    return [ordered]@{ found = $true; readable = $false; path = $path; deniedTo = $access.deniedTo }
                }
                return [ordered]@{ found = $false; readable = $false; path = $null; deniedTo = @() }
            }
            throw
        }
    }
    if (-not $unique) { return [ordered]@{ found = $false; readable = $false; path = $null; deniedTo = @() } }
    $path = @((Join-Path $crypto "RSA\MachineKeys\$unique"), (Join-Path $crypto "Keys\$unique")) |
        Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
    if (-not $path) { return [ordered]@{ found = $false; readable = $false; path = $null; deniedTo = @() } }
    $access = Test-NetworkServiceCanRead (Get-Acl -LiteralPath $path)
    return [ordered]@{ found = $true; readable = $access.readable; path = $path; deniedTo = $access.deniedTo }
}

# Counts of the events that name the article's causes in the last 24 hours, from the System
# log: Schannel 36870 (private key not accessible), 36871 (credential not created), 36874 (no
# common protocol or cipher), 36888 (fatal alert sent), and RemoteConnectionManager 1057/1058
# (self-signed certificate not created/replaced), as the Event ID article above queries them.
# Get-WinEvent throws NoMatchingEventsFound when none match (Get-WinEvent reference): that is 0.
function Get-EventCounts {
    $since = (Get-Date).AddHours(-24)
    $counts = [ordered]@{ since = $since.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") }
    $queries = @(
        @{ Provider = 'Schannel'; Ids = 36870, 36871, 36874, 36888; Prefix = 'schannel' },
        @{ Provider = 'Microsoft-Windows-TerminalServices-RemoteConnectionManager'; Ids = 1057, 1058; Prefix = 'tsRcm' }
    )
    foreach ($query in $queries) {
        foreach ($id in $query.Ids) {
            $n = 0
            try {
                # At most 1,000 each: a count, not an archive, and a bounded wait.
                $n = @(Get-WinEvent -MaxEvents 1000 -FilterHashtable @{ LogName = 'System'; ProviderName = $query.Provider; Id = $id; StartTime = $since }).Count
            } catch {
                if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw }
            }
            $counts["$($query.Prefix)$id"] = $n
        }
    }
    return $counts
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
        # The TPKT header says how long the answer is (RFC 1006): a Connection Confirm without the
        # negotiation part is 11 bytes, with it 19. Read the header, then exactly that many.
        $response = New-Object byte[] 64
        $read = 0
        $want = 4
        while ($read -lt $want) {
            $n = $stream.Read($response, $read, $want - $read)
            if ($n -le 0) { break }
            $read += $n
            if ($read -eq 4 -and $want -eq 4) { $want = [Math]::Min(64, [Math]::Max(4, $response[2] * 256 + $response[3])) }
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
        # The innermost exception's text ("No connection could be made…"), not PowerShell's
        # 'Exception calling "EndConnect" with "1" argument(s)' wrapper.
        $inner = $_.Exception
        while ($inner.InnerException) { $inner = $inner.InnerException }
        $probe.error = $inner.Message
    } finally {
        $client.Close()
    }
    return $probe
}

function Get-Evidence {
    $evidence = [ordered]@{}
    # RDP-Tcp PortNumber ("Change the listening port for Remote Desktop",
    # learn.microsoft.com/windows-server/remote/remote-desktop-services/clients/change-listening-port).
    $rdpPort = Invoke-Check 'rdpPort' { [int](Get-ItemProperty -LiteralPath $RdpTcpKey -Name PortNumber).PortNumber }
    if ($null -ne $rdpPort) { $evidence.rdpPort = $rdpPort }
    Write-Log "RDP-Tcp PortNumber = $rdpPort"

    # The article's own check, kept in the log for people to read. Its stderr goes to the log
    # as text: a native stderr line must not stop the script (see the top of this file).
    $netstat = Invoke-Check 'netstat' { & netstat.exe -anob | Out-String }
    if ($netstat) { Write-Log $netstat }
    if ($null -ne $rdpPort) {
        $listener = Invoke-Check 'listener' { Get-PortOwner $rdpPort }
        if (-not $Unknown.Contains('listener')) { $evidence.listener = $listener }
    }

    $services = [ordered]@{}
    foreach ($serviceName in 'TermService', 'SessionEnv') {
        $svc = Invoke-Check "services/$serviceName" {
            $s = Get-Service -Name $serviceName -ErrorAction SilentlyContinue
            if ($s) { [ordered]@{ status = [string]$s.Status; startType = [string]$s.StartType } } else { $null }
        }
        if (-not $Unknown.Contains("services/$serviceName")) { $services[$serviceName] = $svc }
    }
    $gpsvc = Invoke-Check 'services/gpsvc' {
        $s = Get-Service -Name gpsvc -ErrorAction SilentlyContinue
        [ordered]@{
            status = if ($s) { [string]$s.Status } else { $null }
            start  = Get-RegValue 'HKLM:\SYSTEM\CurrentControlSet\Services\gpsvc' 'Start'
        }
    }
    if ($gpsvc) { $services.gpsvc = $gpsvc }
    $evidence.services = $services

    $certificate = Invoke-Check 'certificate' { Get-ListenerCertificate }
    if ($certificate) {
        if ($certificate.present) {
            $cert = $certificate.cert
            $certificate.Remove('cert')
            $keyFile = Invoke-Check 'certificate/keyFile' { Get-KeyFile $cert }
            if ($keyFile) {
                Write-Log "listener key file: $($keyFile.path) found $($keyFile.found) readable by NETWORK SERVICE $($keyFile.readable)"
                $certificate.keyFile = [ordered]@{ found = $keyFile.found; readable = $keyFile.readable; path = $keyFile.path }
                # Version 1's field, with version 2's meaning: the listener key's container is usable.
                $missing = @()
                if (-not $keyFile.readable) { $missing += $SidNetworkService }
                $evidence.machineKeys = [ordered]@{ aclOk = ($keyFile.found -and $keyFile.readable); missing = $missing; deniedTo = $keyFile.deniedTo }
            }
        }
        $evidence.certificate = $certificate
    }
    # The folder itself is only logged: Windows' default grants Administrators and Everyone on it
    # (KB 278381, "Default permissions for the MachineKeys folders"), not the article's three.
    $folder = Invoke-Check 'machineKeys/folder' {
        (Get-Acl -LiteralPath (Join-Path $env:ProgramData 'Microsoft\Crypto\RSA\MachineKeys')).Sddl
    }
    if ($folder) { Write-Log "MachineKeys folder SDDL: $folder" }

    # SCHANNEL server-side protocol values ("Transport Layer Security (TLS) registry settings",
    # learn.microsoft.com/windows-server/security/tls/tls-registry-settings): absent = the OS default.
    $tls = Invoke-Check 'tls' {
        $values = [ordered]@{}
        $byDefault = [ordered]@{}
        foreach ($version in 'TLS 1.0', 'TLS 1.1', 'TLS 1.2') {
            $key = "HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\$version\Server"
            $values[$version] = Get-RegValue $key 'Enabled'
            $byDefault[$version] = Get-RegValue $key 'DisabledByDefault'
        }
        @{ enabled = $values; disabledByDefault = $byDefault }
    }
    if ($tls) {
        $evidence.tls = $tls.enabled
        $evidence.tlsDisabledByDefault = $tls.disabledByDefault
    }

    $nla = Invoke-Check 'nla' {
        [ordered]@{
            userAuthentication = Get-RegValue $RdpTcpKey 'UserAuthentication'
            securityLayer      = Get-RegValue $RdpTcpKey 'SecurityLayer'
        }
    }
    # Whether RDP is allowed at all and the listener's values that the Azure article "Troubleshoot
    # an RDP general error in Azure VM" (learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/troubleshoot-rdp-general-error)
    # checks: fDenyTSConnections (local, and the policy's under Policies\...\Terminal Services),
    # MinEncryptionLevel (1-4) and LanAdapter (0 = every adapter).
    $rdp = Invoke-Check 'rdp' {
        [ordered]@{
            fDenyTSConnections = Get-RegValue 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server' 'fDenyTSConnections'
            policyDeny         = Get-RegValue 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services' 'fDenyTSConnections'
            minEncryptionLevel = Get-RegValue $RdpTcpKey 'MinEncryptionLevel'
            lanAdapter         = Get-RegValue $RdpTcpKey 'LanAdapter'
        }
    }
    if ($nla) { $evidence.nla = $nla }
    if ($rdp) { $evidence.rdp = $rdp }
    $events = Invoke-Check 'events' { Get-EventCounts }
    if ($events) { $evidence.events = $events }
    if ($null -ne $rdpPort) { $evidence.probe = Test-RdpListener $rdpPort }
    $joined = Invoke-Check 'domainJoined' { [bool](Get-CimInstance -ClassName Win32_ComputerSystem).PartOfDomain }
    if ($null -ne $joined) { $evidence.domainJoined = $joined }
    $evidence.unknown = $Unknown
    return $evidence
}
