using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Backbone.Dns.Micro.AnswerBenchmarks).Assembly).Run(args);
