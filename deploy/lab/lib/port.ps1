# lib/port.ps1: shared by the break scripts that include it ("# include: lib/port.ps1"),
# spliced in by the lab's loader (src/lab/break-lab.ts, src/playbook/script-includes.ts).
# Another service on the RDP port. A small Windows service of the lab's own (C#, compiled on the VM
# by Add-Type -OutputType ConsoleApplication, learn.microsoft.com/powershell/module/microsoft.
# powershell.utility/add-type; System.ServiceProcess.ServiceBase) listens on the port and answers
# HTTP, not RDP. It accepts a stop request (CanStop), like IIS in the article's example: the
# playbook's fix is to stop it and start TermService. TermService is stopped first, since it holds
# the port while it runs.
$PortHolderSource = @'
using System;
using System.Net;
using System.Net.Sockets;
using System.ServiceProcess;
using System.Text;
using System.Threading;

public class RdpFixLabPort : ServiceBase
{
    static int port = 3389;
    TcpListener listener;

    public RdpFixLabPort() { ServiceName = "RdpFixLabPort"; CanStop = true; }

    protected override void OnStart(string[] args)
    {
        listener = new TcpListener(IPAddress.Any, port);
        listener.Start();
        Thread loop = new Thread(Serve);
        loop.IsBackground = true;
        loop.Start();
    }

    void Serve()
    {
        byte[] answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 27\r\nConnection: close\r\n\r\nrdp-fix lab: not RDP here.\n");
        while (true)
        {
            TcpClient client;
            try { client = listener.AcceptTcpClient(); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            using (client)
            {
                try { client.GetStream().Write(answer, 0, answer.Length); }
                catch (System.IO.IOException) { }
            }
        }
    }

    protected override void OnStop() { listener.Stop(); }

    public static void Main(string[] args)
    {
        if (args.Length > 0) port = int.Parse(args[0]);
        ServiceBase.Run(new RdpFixLabPort());
    }
}
'@

function Start-PortHolder([int]$Port) {
    $dir = Join-Path $env:ProgramData 'rdp-fix-lab'
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    $exe = Join-Path $dir 'rdpfix-lab-port.exe'
    if (-not (Get-Service -Name RdpFixLabPort -ErrorAction SilentlyContinue)) {
        Add-Type -TypeDefinition $PortHolderSource -ReferencedAssemblies System.ServiceProcess -OutputAssembly $exe -OutputType ConsoleApplication
        New-Service -Name RdpFixLabPort -BinaryPathName "`"$exe`" $Port" -DisplayName 'rdp-fix lab port holder' `
            -Description 'rdp-fix lab: holds the RDP port on purpose (lab break port-taken)' -StartupType Automatic | Out-Null
    }
    Stop-Service -Name TermService -Force
    Start-Service -Name RdpFixLabPort
    $listen = Get-NetTCPConnection -LocalPort $Port -State Listen -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $listen) { throw "RdpFixLabPort started but nothing listens on port $Port" }
    $process = Get-Process -Id $listen.OwningProcess
    Write-Log "port $Port held by $($process.ProcessName) (pid $($listen.OwningProcess))"
    return [ordered]@{ port = $Port; service = 'RdpFixLabPort'; process = $process.ProcessName; pid = [int]$listen.OwningProcess; exe = $exe }
}
