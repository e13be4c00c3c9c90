// SortableJS over a Vue-rendered list: Sortable moves DOM nodes, Vue owns them, so every drop is undone in
// the DOM at once and reported as (from, to) indexes for the caller to apply to its array.
import Sortable from "sortablejs";
import { onBeforeUnmount, onMounted } from "vue";

export function useSortable(elRef, { onMove, onAdd, group, handle, sort = true, clone = false } = {}) {
  let sortable = null;
  onMounted(() => {
    if (!elRef.value) return;
    sortable = Sortable.create(elRef.value, {
      animation: 150,
      handle,
      sort,
      group: group ? { name: group, pull: clone ? "clone" : true, put: !clone } : undefined,
      delay: 150,
      delayOnTouchOnly: true,
      onEnd(e) {
        if (e.from !== e.to) return;
        const { item, from, oldIndex, newIndex } = e;
        from.removeChild(item);
        from.insertBefore(item, from.children[oldIndex] || null);
        if (oldIndex !== newIndex) onMove?.(oldIndex, newIndex);
      },
      onAdd(e) {
        const { item } = e;
        const ref = item.dataset.ref;
        if (e.pullMode === "clone") {
          // the original goes back where Vue rendered it; the clone Sortable left there goes away
          e.clone.remove();
          e.from.insertBefore(item, e.from.children[e.oldIndex] || null);
        } else {
          item.remove();
        }
        onAdd?.(ref, e.newIndex);
      },
    });
  });
  onBeforeUnmount(() => sortable?.destroy());
}
