using System.Runtime.InteropServices;

namespace Backbone.Dns.Server.Batching;

/// <summary>
/// <c>recvmmsg</c> and <c>sendmmsg</c> (Linux): many datagrams per system call. At a fixed query
/// rate nearly all of a DNS server's CPU is the kernel's receive and send path, so what a batch
/// saves is most of what there is to save. Layouts are the 64-bit Linux ones.
/// </summary>
internal static unsafe partial class MessageSyscalls
{
    /// <summary>Block for the first datagram only, then take what is already queued.</summary>
    public const int MsgWaitForOne = 0x10000;

    /// <summary>In <see cref="MessageHeader.Flags"/>: the datagram was longer than the buffer (and was cut).</summary>
    public const int MsgTrunc = 0x20;

    public const int EIntr = 4;
    public const int EAgain = 11;

    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public nint Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public nint Name;
        public uint NameLength;
        public nint Vectors;
        public nuint VectorCount;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>One entry of the vector: a header and, after the call, the bytes it carried.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MultiMessage
    {
        public MessageHeader Header;
        public uint Length;
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int ReceiveMany(int socket, MultiMessage* messages, uint count, int flags, nint timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMany(int socket, MultiMessage* messages, uint count, int flags);

    /// <summary>
    /// A blocking receive that gives up after <paramref name="timeout"/> (EAGAIN): the loop's
    /// safety net for noticing it should stop, should the shutdown that wakes it not.
    /// </summary>
    public static void SetReceiveTimeout(System.Net.Sockets.Socket socket, TimeSpan timeout)
    {
        Span<byte> timeval = stackalloc byte[16]; // struct timeval: seconds, microseconds (two longs)
        MemoryMarshal.Write(timeval, (long)timeout.TotalSeconds);
        MemoryMarshal.Write(timeval[8..], (long)(timeout.TotalMicroseconds % 1_000_000));
        socket.SetRawSocketOption(SolSocket, SoRcvTimeo, timeval);
    }
}
