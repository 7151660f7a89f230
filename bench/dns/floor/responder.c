/*
 * The floor of bench/dns: the least a UDP DNS responder can do. It answers every query with
 * itself, header turned into a NOERROR response without records (NODATA), through the same
 * batched recvmmsg/sendmmsg loop as Backbone's listener: no parsing, no lookup, no copying
 * beyond the kernel's. Its CPU per query at a fixed rate is what the kernel's receive and send
 * path costs on this machine, the part no server can take away; a real server's figure minus
 * this one is what its own code costs. Not a DNS server: it serves no data.
 *
 * Usage: responder ADDRESS PORT   (IPv4; runs in the foreground until killed)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH 64
#define MAX_QUERY 4096

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s ADDRESS PORT\n", argv[0]);
        return 2;
    }

    struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
    if (inet_pton(AF_INET, argv[1], &local.sin_addr) != 1) {
        fprintf(stderr, "responder: %s is not an IPv4 address\n", argv[1]);
        return 2;
    }

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int buffer = 4 << 20; /* as Backbone's listener asks */
    if (fd < 0) {
        perror("responder: socket");
        return 1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer) != 0) {
        perror("responder: SO_RCVBUF");
        return 1;
    }
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        perror("responder: bind");
        return 1;
    }

    static unsigned char packets[BATCH][MAX_QUERY];
    static struct sockaddr_in senders[BATCH];
    static struct iovec vectors[BATCH];
    static struct mmsghdr received[BATCH], replies[BATCH];

    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            vectors[i] = (struct iovec){ .iov_base = packets[i], .iov_len = MAX_QUERY };
            received[i].msg_hdr = (struct msghdr){ .msg_name = &senders[i], .msg_namelen = sizeof senders[i], .msg_iov = &vectors[i], .msg_iovlen = 1 };
        }

        int count = recvmmsg(fd, received, BATCH, MSG_WAITFORONE, NULL);
        if (count < 0) {
            if (errno == EINTR)
                continue;
            perror("responder: recvmmsg");
            return 1;
        }

        int pending = 0;
        for (int i = 0; i < count; i++) {
            unsigned char *p = packets[i];
            unsigned int length = received[i].msg_len;
            if (length < 12 || (p[2] & 0x80)) /* too short for a header, or a response: dropped */
                continue;
            p[2] = (unsigned char)(0x84 | (p[2] & 0x01)); /* QR, AA, RD as asked */
            p[3] = 0x80;                                  /* RA, NOERROR */
            vectors[i].iov_len = length;
            replies[pending++].msg_hdr = (struct msghdr){ .msg_name = &senders[i], .msg_namelen = received[i].msg_hdr.msg_namelen, .msg_iov = &vectors[i], .msg_iovlen = 1 };
        }

        for (int sent = 0; sent < pending;) {
            int result = sendmmsg(fd, replies + sent, (unsigned int)(pending - sent), 0);
            if (result < 0 && errno == EINTR)
                continue;
            sent += result < 0 ? 1 : result; /* a refused reply is skipped, as Backbone does */
        }
    }
}
