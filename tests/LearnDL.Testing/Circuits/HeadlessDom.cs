using System.Buffers.Binary;
using System.Text;

namespace LearnDL.Testing.Circuits;

/// <summary>A node of the page as a headless circuit holds it: the logical tree Blazor's renderer keeps in a browser.</summary>
public abstract class DomNode
{
    public DomContainer? Parent { get; internal set; }
    public abstract void AppendText(StringBuilder text);
}

public sealed class DomText(string text) : DomNode
{
    public string Text { get; internal set; } = text;
    public override void AppendText(StringBuilder text) => text.Append(Text);
}

/// <summary>Prerendered-style markup (a lesson's body, say): kept as its HTML, searched as text only.</summary>
public sealed class DomMarkup(string html) : DomNode
{
    public string Html { get; } = html;
    public override void AppendText(StringBuilder text) => text.Append(System.Text.RegularExpressions.Regex.Replace(Html, "<[^>]*>", " "));
}

/// <summary>A node with logical children: an element, a component's place, or a root component's place.</summary>
public class DomContainer : DomNode
{
    public List<DomNode> Children { get; } = [];

    internal void Insert(int index, DomNode node)
    {
        node.Parent = this;
        Children.Insert(Math.Min(index, Children.Count), node);
    }

    internal void RemoveAt(int index)
    {
        Children[index].Parent = null;
        Children.RemoveAt(index);
    }

    public override void AppendText(StringBuilder text)
    {
        foreach (var child in Children) child.AppendText(text);
    }

    public string TextContent
    {
        get
        {
            var text = new StringBuilder();
            AppendText(text);
            return System.Text.RegularExpressions.Regex.Replace(text.ToString(), @"\s+", " ").Trim();
        }
    }

    /// <summary>Every element below this node, depth first, in document order.</summary>
    public IEnumerable<DomElement> Descendants()
    {
        foreach (var child in Children)
        {
            if (child is DomElement element) yield return element;
            if (child is DomContainer container)
                foreach (var below in container.Descendants()) yield return below;
        }
    }
}

/// <summary>A component's place in its parent: its rendered nodes are its children.</summary>
public sealed class DomComponent(int componentId) : DomContainer
{
    public int ComponentId { get; } = componentId;
}

public sealed class DomElement(string name) : DomContainer
{
    public string Name { get; } = name;
    public Dictionary<string, string> Attributes { get; } = new(StringComparer.Ordinal);
    /// <summary>Event name (click, change, ...) to the event handler id the server gave it.</summary>
    public Dictionary<string, ulong> Handlers { get; } = new(StringComparer.Ordinal);

    public string? this[string attribute] => Attributes.GetValueOrDefault(attribute);

    public override string ToString() => $"<{Name} {string.Join(' ', Attributes.Select(a => $"{a.Key}=\"{a.Value}\""))}>";
}

/// <summary>
/// The page of one circuit, kept up to date by applying render batches as blazor.web.js does
/// (Rendering/BrowserRenderer.ts and RenderBatch/OutOfProcessRenderBatch.ts of ASP.NET Core):
/// the batch's diffs edit each component's logical children, regions are flattened into their
/// parent, child components get a place of their own, markup is one node.
/// </summary>
public sealed class HeadlessDom
{
    private readonly Dictionary<int, DomComponent> _components = [];
    private readonly Dictionary<string, DomComponent> _roots = [];

    /// <summary>The root components' places, by the ssrComponentId they were added with, in order.</summary>
    public IEnumerable<DomComponent> Roots => _roots.OrderBy(r => int.Parse(r.Key)).Select(r => r.Value);

    public void AttachRoot(int componentId, string selector)
    {
        var root = new DomComponent(componentId);
        _roots[selector] = root;
        _components[componentId] = root;
    }

    public IEnumerable<DomElement> Elements => Roots.SelectMany(r => r.Descendants());

    public IEnumerable<DomElement> ByAttribute(string name, string? value = null) =>
        Elements.Where(e => e.Attributes.TryGetValue(name, out var v) && (value is null || v == value));

    public IEnumerable<DomElement> ByTestId(string testId) => ByAttribute("data-testid", testId);

    public DomElement? ById(string id) => ByAttribute("id", id).FirstOrDefault();

    public string Text => string.Join(" ", Roots.Select(r => r.TextContent));

    /// <summary>Applies one render batch (its bytes as the server sent them).</summary>
    public void Apply(ReadOnlySpan<byte> batch)
    {
        var reader = new BatchReader(batch);
        var updated = reader.Int(batch.Length - 20);
        var frames = reader.Int(batch.Length - 16) + 4;
        var disposed = reader.Int(batch.Length - 12);
        for (int i = 0, count = reader.Int(updated); i < count; i++)
        {
            var diff = reader.Int(updated + 4 + i * 4);
            var componentId = reader.Int(diff);
            if (!_components.TryGetValue(componentId, out var place))
                throw new InvalidOperationException($"No place is known for component {componentId}.");
            ApplyEdits(reader, place, diff + 4, frames);
        }
        for (int i = 0, count = reader.Int(disposed); i < count; i++)
            _components.Remove(reader.Int(disposed + 4 + i * 4));
    }

    private void ApplyEdits(BatchReader r, DomContainer parent, int edits, int frames)
    {
        List<(int From, int To)>? permutations = null;
        for (int e = 0, count = r.Int(edits); e < count; e++)
        {
            var edit = edits + 4 + e * 16;
            var (type, sibling, treeIndex) = (r.Int(edit), r.Int(edit + 4), r.Int(edit + 8));
            switch (type)
            {
                case 1: // prepend frame
                    InsertFrame(r, parent, sibling, frames, treeIndex);
                    break;
                case 2: // remove frame
                    parent.RemoveAt(sibling);
                    break;
                case 3: // set attribute
                    SetAttribute(r, (DomElement)parent.Children[sibling], frames + treeIndex * 20);
                    break;
                case 4: // remove attribute
                    var element = (DomElement)parent.Children[sibling];
                    var name = r.String(r.Int(edit + 12))!;
                    element.Attributes.Remove(name);
                    if (name.StartsWith("on", StringComparison.Ordinal)) element.Handlers.Remove(name[2..]);
                    break;
                case 5: // update text
                    ((DomText)parent.Children[sibling]).Text = r.String(r.Int(frames + treeIndex * 20 + 4)) ?? "";
                    break;
                case 6: // step in
                    parent = (DomContainer)parent.Children[sibling];
                    break;
                case 7: // step out
                    parent = parent.Parent!;
                    break;
                case 8: // update markup
                    parent.RemoveAt(sibling);
                    parent.Insert(sibling, new DomMarkup(r.String(r.Int(frames + treeIndex * 20 + 4)) ?? ""));
                    break;
                case 9: // permutation list entry
                    (permutations ??= []).Add((sibling, treeIndex));
                    break;
                case 10: // permutation list end
                    var moving = permutations!.Select(p => (p.To, Node: parent.Children[p.From])).ToList();
                    foreach (var (to, node) in moving) parent.Children[to] = node;
                    permutations = null;
                    break;
                default:
                    throw new InvalidOperationException($"Unknown render tree edit type {type}.");
            }
        }
    }

    /// <summary>Inserts the frame at <paramref name="index"/> of the batch's reference frames; returns how many logical children it made.</summary>
    private int InsertFrame(BatchReader r, DomContainer parent, int childIndex, int frames, int index)
    {
        var frame = frames + index * 20;
        switch (r.Int(frame))
        {
            case 1: // element: leading attribute frames, then its children
                var element = new DomElement(r.String(r.Int(frame + 8))!);
                var end = index + r.Int(frame + 4);
                var child = index + 1;
                for (; child < end && r.Int(frames + child * 20) == 3; child++) SetAttribute(r, element, frames + child * 20);
                parent.Insert(childIndex, element);
                InsertRange(r, element, 0, frames, child, end);
                return 1;
            case 2: // text
                parent.Insert(childIndex, new DomText(r.String(r.Int(frame + 4)) ?? ""));
                return 1;
            case 4: // component: a place of its own, filled by the component's own diff
                var place = new DomComponent(r.Int(frame + 8));
                parent.Insert(childIndex, place);
                _components[place.ComponentId] = place;
                return 1;
            case 5: // region: its children go straight into the parent
                return InsertRange(r, parent, childIndex, frames, index + 1, index + r.Int(frame + 4));
            case 8: // markup
                parent.Insert(childIndex, new DomMarkup(r.String(r.Int(frame + 4)) ?? ""));
                return 1;
            case 6: // element reference capture: no node
            case 10: // named event: not used by the browser
                return 0;
            case 3:
                throw new InvalidOperationException("An attribute frame outside an element's leading frames.");
            default:
                throw new InvalidOperationException($"Unknown render tree frame type {r.Int(frame)}.");
        }
    }

    private int InsertRange(BatchReader r, DomContainer parent, int childIndex, int frames, int start, int endExclusive)
    {
        var first = childIndex;
        for (var index = start; index < endExclusive; index++)
        {
            childIndex += InsertFrame(r, parent, childIndex, frames, index);
            var type = r.Int(frames + index * 20);
            if (type is 1 or 4 or 5) index += r.Int(frames + index * 20 + 4) - 1;
        }
        return childIndex - first;
    }

    private static void SetAttribute(BatchReader r, DomElement element, int frame)
    {
        var name = r.String(r.Int(frame + 4))!;
        var handler = r.ULong(frame + 12);
        if (handler != 0)
        {
            element.Handlers[name.StartsWith("on", StringComparison.Ordinal) ? name[2..] : name] = handler;
            return;
        }
        if (name.StartsWith("__internal_", StringComparison.Ordinal)) return; // stopPropagation / preventDefault flags
        var value = r.String(r.Int(frame + 8));
        if (value is null) element.Attributes.Remove(name);
        else element.Attributes[name] = value;
    }

    /// <summary>Reads the batch's little-endian integers and its string table.</summary>
    private readonly ref struct BatchReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private readonly int _strings = BinaryPrimitives.ReadInt32LittleEndian(data[^4..]);

        public int Int(int position) => BinaryPrimitives.ReadInt32LittleEndian(_data.Slice(position, 4));
        public ulong ULong(int position) => BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(position, 8));

        public string? String(int index)
        {
            if (index == -1) return null;
            var position = Int(_strings + index * 4);
            // .NET's BinaryWriter: a LEB128 length, then UTF-8.
            int length = 0, shift = 0;
            while (true)
            {
                var b = _data[position++];
                length |= (b & 127) << shift;
                if (b < 128) break;
                shift += 7;
            }
            return Encoding.UTF8.GetString(_data.Slice(position, length));
        }
    }
}
