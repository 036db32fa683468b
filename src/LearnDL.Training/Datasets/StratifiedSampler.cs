namespace LearnDL.Training.Datasets;

/// <summary>Seeded, class-balanced subsets and train/test splits.</summary>
public static class StratifiedSampler
{
    /// <summary>
    /// Picks <paramref name="count"/> indices from <paramref name="labels"/>, keeping each class's share
    /// of the whole (largest remainders first), shuffled by <paramref name="seed"/>.
    /// </summary>
    public static IReadOnlyList<int> Subset(IReadOnlyList<int> labels, int count, int seed)
    {
        count = Math.Min(count, labels.Count);
        var random = new Random(seed);
        var byClass = labels.Select((label, index) => (label, index)).GroupBy(p => p.label)
            .OrderBy(g => g.Key)
            .Select(g => Shuffle(g.Select(p => p.index).ToList(), random)).ToList();
        var quotas = byClass.Select(c => (double)c.Count * count / labels.Count).ToArray();
        var take = quotas.Select(q => (int)Math.Floor(q)).ToArray();
        foreach (var i in Enumerable.Range(0, byClass.Count).OrderByDescending(i => quotas[i] - take[i]).ThenBy(i => i))
        {
            if (take.Sum() >= count) break;
            if (take[i] < byClass[i].Count) take[i]++;
        }
        var picked = byClass.SelectMany((c, i) => c.Take(take[i])).ToList();
        return Shuffle(picked, random);
    }

    /// <summary>Splits sample indices per class so each class keeps about <paramref name="testFraction"/> held out.</summary>
    public static (IReadOnlyList<int> Train, IReadOnlyList<int> Test) Split(IReadOnlyList<int> labels, double testFraction, int seed)
    {
        var random = new Random(seed ^ 0x5EED);
        var train = new List<int>();
        var test = new List<int>();
        foreach (var group in labels.Select((label, index) => (label, index)).GroupBy(p => p.label).OrderBy(g => g.Key))
        {
            var indices = Shuffle(group.Select(p => p.index).ToList(), random);
            var held = indices.Count < 2 ? 0 : Math.Clamp((int)Math.Round(indices.Count * testFraction), 1, indices.Count - 1);
            test.AddRange(indices.Take(held));
            train.AddRange(indices.Skip(held));
        }
        train.Sort();
        test.Sort();
        return (train, test);
    }

    private static List<int> Shuffle(List<int> items, Random random)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
        return items;
    }
}
