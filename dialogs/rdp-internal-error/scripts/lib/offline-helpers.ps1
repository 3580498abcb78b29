# lib/offline-helpers.ps1: the drive-letter check and the hive mount/unmount every offline-*.ps1
# needs, spliced in where it says "# include: lib/offline-helpers.ps1" (src/playbook/script-includes.ts).
# The attached disk's Windows partition, as "<letter>:", after checking it holds a Windows installation.
function Assert-DriveLetter([string]$Letter) {
    if ($Letter -notmatch '^[D-Zd-z]$') { throw "Invalid drive letter '$Letter': expected one letter D-Z" }
    $root = "$($Letter.ToUpper()):"
    if (-not (Test-Path "$root\Windows\System32\config\SYSTEM")) { throw "No Windows installation found on $root" }
    return $root
}

# Loads the attached disk's SYSTEM hive (the text's "SYSTEM.hiv" does not exist) and
# returns the path of its active control set, read from Select\Current.
# reg.exe returns 0 on success and 1 on failure (learn.microsoft.com/windows-server/administration/windows-commands/reg-load).
function Mount-BrokenSystem([string]$Root) {
    if (-not (Test-Path 'HKLM:\BROKENSYSTEM')) {
        & reg.exe load 'HKLM\BROKENSYSTEM' "$Root\Windows\System32\config\SYSTEM" | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "reg load failed for $Root\Windows\System32\config\SYSTEM" }
    }
    $current = (Get-ItemProperty -Path 'HKLM:\BROKENSYSTEM\Select' -Name Current).Current
    return ('HKLM:\BROKENSYSTEM\ControlSet{0:D3}' -f [int]$current)
}

# Unloads the hive, or fails the step: a hive left loaded keeps the disk's SYSTEM file open, so
# the disk cannot be detached cleanly and the repair may not reach the VM. reg unload fails
# (exit code 1, "Access is denied") while a handle into the hive is still open, e.g. a registry
# key object PowerShell has not released yet: collect, wait, try again
# (learn.microsoft.com/windows-server/administration/windows-commands/reg-unload).
function Dismount-BrokenSystem {
    $exitCode = 0
    for ($attempt = 1; $attempt -le 3; $attempt++) {
        [gc]::Collect()
        [gc]::WaitForPendingFinalizers()
        & reg.exe unload 'HKLM\BROKENSYSTEM' | Out-Null
        $exitCode = $LASTEXITCODE
        if ($exitCode -eq 0 -and -not (Test-Path 'HKLM:\BROKENSYSTEM')) { return }
        Start-Sleep -Seconds 2
    }
    throw "reg unload HKLM\BROKENSYSTEM failed (exit code $exitCode): the hive is still loaded; close what uses it, run reg unload HKLM\BROKENSYSTEM, then detach the disk"
}
