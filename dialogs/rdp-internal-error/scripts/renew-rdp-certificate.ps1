# rdp-fix-step: renew-rdp-certificate
# Step 2.1 of the article: remove the Remote Desktop certificate and restart SessionEnv so
# that Windows creates a new self-signed one. Running it twice renews twice, which is harmless.
param()

$ErrorActionPreference = 'Stop'
$stepId = 'renew-rdp-certificate'
# include: lib/result.ps1

$data = [ordered]@{ removed = @() }
try {
    $store = 'Cert:\LocalMachine\Remote Desktop\'
    foreach ($cert in @(Get-ChildItem -Path $store -ErrorAction SilentlyContinue)) {
        Write-Log "Remove-Item $store$($cert.Thumbprint) (expires $($cert.NotAfter.ToString('o')))"
        Remove-Item -Path (Join-Path $store $cert.Thumbprint)
        $data.removed += $cert.Thumbprint
    }
    Stop-Service -Name SessionEnv -Force
    Start-Service -Name SessionEnv

    $new = $null
    for ($i = 0; $i -lt 30 -and -not $new; $i++) {
        $new = Get-ChildItem -Path $store -ErrorAction SilentlyContinue | Where-Object { $_.NotAfter -gt (Get-Date) } | Select-Object -First 1
        if (-not $new) { Start-Sleep -Seconds 1 }
    }
    if ($new) {
        $data.certificate = [ordered]@{
            present = $true; thumbprint = $new.Thumbprint; notAfter = $new.NotAfter.ToUniversalTime().ToString('o')
            expired = $false; hasPrivateKey = [bool]$new.HasPrivateKey
        }
    }
    $message = if ($new) { $null } else { 'SessionEnv did not create a new certificate' }
    Write-Result ([bool]$new) $data $message
} catch {
    Write-Log ($_ | Out-String)
    Write-Result $false $data $_.Exception.Message
}
