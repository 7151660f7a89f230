namespace Backbone.Server.Tests.Compat;

/// <summary>
/// The differential scripts (format: <see cref="EtcdctlScript"/>). Each runs on a fresh etcd and
/// a fresh Backbone, so revisions are absolute and comparable: an empty store is at revision 1,
/// the first write is revision 2. <c>-w json</c> is used wherever it shows revisions, versions
/// and create/mod revisions, so those are compared too.
/// </summary>
public static class DifferentialScenarios
{
    public static IReadOnlyDictionary<string, string> All { get; } = new Dictionary<string, string>
    {
        ["put-get"] = """
            get a -w json
            put a 1
            get a
            get a -w json
            put a 2 -w json
            get a -w json
            get missing -w json
            get missing
            put "with space" "a value"
            get "with space" -w json
            put empty ""
            get empty -w json
            get empty
            """,

        ["prefix"] = """
            put k/a 1
            put k/b 2
            put k/c 3
            put ka 4
            put l 5
            get k/ --prefix
            get k/ --prefix -w json
            get k --prefix -w json
            get nothing/ --prefix -w json
            get k/b k/c -w json
            get k/c k/b -w json
            """,

        ["from-key"] = """
            put a 1
            put b 2
            put c 3
            get b --from-key
            get b --from-key -w json
            get "" --from-key -w json
            get z --from-key -w json
            get a --from-key --keys-only
            """,

        ["limit"] = """
            put k1 1
            put k2 2
            put k3 3
            put k4 4
            put k5 5
            get k --prefix --limit 2 -w json
            get k --prefix --limit 5 -w json
            get k --prefix --limit 6 -w json
            get k --prefix --limit 0 -w json
            get k2 k5 --limit 1 -w json
            get k --prefix --limit 2
            get k3 --from-key --limit 1 -w json
            """,

        ["rev-reads"] = """
            put a 1
            put b 1
            put a 2
            del a
            put a 3
            get a --rev=1 -w json
            get a --rev=2 -w json
            get a --rev=4 -w json
            get a --rev=5 -w json
            get a --rev=6 -w json
            get a --prefix --rev=3 -w json
            get a --rev=3
            get "" --from-key --rev=4 -w json
            get a --rev=0 -w json
            get a --rev=7
            """,

        ["sort"] = """
            put c 1
            put a 3
            put b 2
            put a 4
            put d 2
            put b 5
            put b 6
            get "" --from-key --sort-by=KEY --order=DESCEND
            get "" --from-key --sort-by=VALUE
            get "" --from-key --sort-by=VALUE --order=DESCEND -w json
            get "" --from-key --sort-by=VERSION --order=DESCEND -w json
            get "" --from-key --sort-by=VERSION --order=ASCEND -w json
            get "" --from-key --sort-by=CREATE --order=DESCEND -w json
            get "" --from-key --sort-by=MODIFY -w json
            get "" --from-key --sort-by=MODIFY --order=DESCEND --limit 2 -w json
            get "" --from-key --order=DESCEND --limit 3 -w json
            get "" --from-key --sort-by=NAME
            """,

        ["keys-only-and-values-only"] = """
            put a 1
            put b 22
            put c 333
            get a c --keys-only
            get a --from-key --keys-only -w json
            get a --from-key --print-value-only
            get a --prefix --print-value-only
            get a --from-key --keys-only --limit 1 -w json
            get a --hex
            get a --hex -w json
            get a --from-key -w fields
            """,

        ["delete"] = """
            put a 1
            put b 2
            put c 3
            put d 4
            put e 5
            del a --prev-kv
            del a
            del missing -w json
            del b d --prev-kv -w json
            get "" --from-key -w json
            del d --from-key --prev-kv -w json
            put x 1
            put x 2
            del x --prefix
            put x 3 -w json
            get x -w json
            """,

        ["put-prev-kv-and-ignore"] = """
            put a 1 --prev-kv
            put a 2 --prev-kv
            put a 3 --prev-kv -w json
            put a --ignore-value -w json
            get a -w json
            put a 4 --ignore-lease
            get a -w json
            """,

        ["txn-compares"] = """
            put a 1
            put b 2
            put b 3
            txn -w json <<EOF
            value("a") = "1"
            version("b") = "2"
            create("b") = "3"
            mod("b") > "3"

            put a 10
            get b
            del c


            EOF
            get a -w json
            txn <<EOF
            value("a") = "1"

            put a 11

            get a
            put c 1


            EOF
            txn -w json <<EOF
            version("missing") = "0"
            create("missing") = "0"
            mod("a") < "100"
            value("b") != "2"

            get a --prefix
            put b 4
            get b


            EOF
            txn -w json <<EOF
            value("missing") = "x"

            put never 1

            get missing


            EOF
            get "" --from-key -w json
            """,

        ["txn-revisions-and-limits"] = """
            put a 1
            txn -w json <<EOF

            get a
            del nothing


            EOF
            txn -w json <<EOF

            get a
            put b 1
            get b
            del nothing


            EOF
            txn -w json <<EOF

            del nothing
            get a --rev=2


            EOF
            txn <<EOF

            put a 2
            del a


            EOF
            txn <<EOF

            put a 2
            put a 3


            EOF
            txn <<EOF

            get a --rev=100


            EOF
            txn <<EOF

            put k v --lease=1234


            EOF
            get a -w json
            """,

        ["compaction"] = """
            put a 1
            put a 2
            put b 1
            put a 3
            compact 3
            get a --rev=2
            get a --rev=3 -w json
            get a --rev=4 -w json
            compact 3
            compact 2
            compact 100
            compact 5 --physical
            get a -w json
            get a --rev=4
            watch a --rev=2
            watch a --rev=2 -w json
            @until 3 watch a --rev=5
            """,

        ["watch-history"] = """
            put w/a 1
            put w/b 2
            put other x
            put w/a 3
            del w/a
            put w/c END
            @until END watch w/ --prefix --rev=1
            @until END watch w/ --prefix --rev=1 -w json
            @until END watch w/ --prefix --rev=4 --prev-kv -w json
            @until END watch w/a w/d --rev=3 -w json
            @until END watch w/c --rev=2
            """,

        ["lease"] = """
            @as L0 lease grant 1
            lease timetolive $L0 -w json
            lease revoke $L0
            @as L1 lease grant 60
            @as L2 lease grant 100 -w json
            put l/a 1 --lease=$L1
            put l/b 2 --lease=$L1
            put l/c 3 --lease=$L2
            put l/d 4
            get l/ --prefix -w json
            lease timetolive $L1
            lease timetolive $L1 --keys -w json
            lease keep-alive --once $L1
            @sort lease list
            lease revoke $L1
            get l/ --prefix -w json
            lease timetolive $L1
            lease timetolive $L1 -w json
            lease revoke $L1
            put l/e 5 --lease=$L1
            put l/c 33 --ignore-lease -w json
            get l/c -w json
            lease revoke $L2
            get l/ --prefix -w json
            lease list
            """,

        ["errors"] = """
            put "" x
            get ""
            del ""
            put k v --lease=1234
            put missing --ignore-value
            put missing v --ignore-lease
            get a --rev=100
            lease revoke 1234
            lease timetolive 1234
            lease timetolive 1234 -w json
            lease keep-alive --once 1234
            put k v
            get k --rev=3
            get k -w json
            """,

        ["revision-bookkeeping"] = """
            get a -w json
            put a 1 -w json
            del missing -w json
            del b z -w json
            put a 1 -w json
            del a -w json
            put a 2 -w json
            get a -w json
            get a --rev=3 -w json
            endpoint status -w json
            """,
    };

    /// <summary>Scenario names for xunit's MemberData (the name is the test case's display).</summary>
    public static TheoryData<string> Names
    {
        get
        {
            TheoryData<string> names = [];
            foreach (string name in All.Keys)
            {
                names.Add(name);
            }

            return names;
        }
    }
}
