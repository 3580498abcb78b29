# lib/keyfile.ps1: shared by the break scripts that include it ("# include: lib/keyfile.ps1"),
# spliced in by the lab's loader (src/lab/break-lab.ts, src/playbook/script-includes.ts).
# The RDP listener's certificate: the thumbprint in Win32_TSGeneralSetting.SSLCertificateSHA1Hash
# (namespace root\cimv2\TerminalServices, TerminalName RDP-tcp: learn.microsoft.com/troubleshoot/
# windows-server/remote/remote-desktop-listener-certificate-configurations), found in the Personal
# store (a certificate set there) or the Remote Desktop store (the self-signed one).
function Get-ListenerCertificate {
    $setting = Get-CimInstance -Namespace 'root\cimv2\TerminalServices' -ClassName Win32_TSGeneralSetting -Filter "TerminalName='RDP-tcp'"
    $thumbprint = [string]$setting.SSLCertificateSHA1Hash
    foreach ($store in 'Cert:\LocalMachine\My', 'Cert:\LocalMachine\Remote Desktop') {
        $cert = Get-Item -Path "$store\$thumbprint" -ErrorAction SilentlyContinue
        if ($cert) { return $cert }
    }
    throw "the RDP listener's certificate '$thumbprint' is in neither the Personal nor the Remote Desktop store"
}

# The file that holds a certificate's private key: a CryptoAPI (CSP) key is the file named by its
# unique container name under %ProgramData%\Microsoft\Crypto\RSA\MachineKeys, a CNG key the one named
# by its unique name under %ProgramData%\Microsoft\Crypto\Keys ("Key Storage and Retrieval",
# learn.microsoft.com/windows/win32/seccng/key-storage-and-retrieval).
function Get-KeyFile($Cert) {
    $name = $null
    try { $name = $Cert.PrivateKey.CspKeyContainerInfo.UniqueKeyContainerName } catch { $name = $null }
    if (-not $name) {
        $rsa = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Cert)
        if ($rsa -is [System.Security.Cryptography.RSACng]) { $name = $rsa.Key.UniqueName }
    }
    foreach ($dir in 'Microsoft\Crypto\RSA\MachineKeys', 'Microsoft\Crypto\Keys') {
        $file = Join-Path (Join-Path $env:ProgramData $dir) ([string]$name)
        if ($name -and (Test-Path -LiteralPath $file)) { return $file }
    }
    throw "the private key file of certificate $($Cert.Thumbprint) was not found"
}
