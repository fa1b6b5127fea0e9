// lemon_match.cc: reference timing for the matching benchmark. Reads
// "n m" then m lines "u v w" from the file given, runs LEMON's
// MaxWeightedMatching with weights w + C (C > n/2 * max w, so maximum
// cardinality comes first) and prints one line:
//   lemon seconds S rss_kb R pairs P weight W
#include <lemon/matching.h>
#include <lemon/smart_graph.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <vector>

int
main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	FILE *f = std::fopen(argv[1], "r");
	long long n, m;
	if (f == nullptr || std::fscanf(f, "%lld %lld", &n, &m) != 2)
		return 1;
	lemon::SmartGraph g;
	std::vector<lemon::SmartGraph::Node> nodes;
	std::vector<long long> orig;
	g.reserveNode(n);
	g.reserveEdge(m);
	for (long long i = 0; i < n; i++)
		nodes.push_back(g.addNode());
	lemon::SmartGraph::EdgeMap<long long> w(g);
	std::vector<lemon::SmartGraph::Edge> edges;
	long long wmax = 0;
	for (long long i = 0; i < m; i++) {
		long long a, b, x;
		if (std::fscanf(f, "%lld %lld %lld", &a, &b, &x) != 3)
			return 1;
		edges.push_back(g.addEdge(nodes[a], nodes[b]));
		orig.push_back(x);
		if (x > wmax)
			wmax = x;
	}
	std::fclose(f);
	long long c = (n / 2) * wmax + 1;
	for (long long i = 0; i < m; i++)
		w[edges[i]] = orig[i] + c;
	auto t0 = std::chrono::steady_clock::now();
	lemon::MaxWeightedMatching<lemon::SmartGraph,
	    lemon::SmartGraph::EdgeMap<long long>> mwm(g, w);
	mwm.run();
	auto t1 = std::chrono::steady_clock::now();
	long long pairs = 0, total = 0;
	for (long long i = 0; i < m; i++)
		if (mwm.matching(edges[i])) {
			pairs++;
			total += orig[i];
		}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	std::printf("lemon seconds %.3f rss_kb %ld pairs %lld weight %lld\n",
	    std::chrono::duration<double>(t1 - t0).count(), ru.ru_maxrss,
	    pairs, total);
	return 0;
}
