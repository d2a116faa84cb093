import { foreignObjects, parseTocLine } from '../pg-toc';

const TOC = `;
; Archive created at 2026-12-05 00:50:00 UTC
;     dbname: bm
;
216; 1259 16392 TABLE public nb_items postgres
215; 1259 16391 SEQUENCE public nb_items_id_seq postgres
3372; 0 0 SEQUENCE OWNED BY public nb_items_id_seq postgres
3207; 2604 16395 DEFAULT public nb_items id postgres
3360; 0 16392 TABLE DATA public nb_items postgres
3378; 0 0 SEQUENCE SET public nb_items_id_seq postgres
3212; 2606 16399 CONSTRAINT public nb_items nb_items_pkey postgres
3215; 2606 16408 FK CONSTRAINT public nb_links nb_links_item_fkey postgres
3370; 0 0 COMMENT public TABLE nb_items postgres
3371; 0 0 ACL public TABLE other_orders postgres
3380; 0 0 COMMENT - SCHEMA public postgres
217; 1259 16400 TABLE sub1 things postgres
`;

const entries = TOC.split('\n').map(parseTocLine).filter((e) => e !== null);

it('reads descriptions of several words, the namespace and the object (or its table)', () => {
  expect(parseTocLine('3372; 0 0 SEQUENCE OWNED BY public nb_items_id_seq postgres')).toEqual({
    desc: 'SEQUENCE OWNED BY',
    namespace: 'public',
    name: 'nb_items_id_seq',
  });
  expect(parseTocLine('3215; 2606 16408 FK CONSTRAINT public nb_links nb_links_item_fkey postgres')?.name).toBe('nb_links');
  expect(parseTocLine('3370; 0 0 COMMENT public TABLE nb_items postgres')?.name).toBe('nb_items');
  expect(parseTocLine('; Archive created at')).toBeNull();
  expect(entries).toHaveLength(12);
});

it('finds nothing foreign in a dump of the prefixed tables; ACLs and other schemas do not count', () => {
  expect(foreignObjects(entries, 'public', 'nb_')).toEqual([]);
});

it("names another application's objects in the schema", () => {
  const more = [...entries, parseTocLine('218; 1259 16500 TABLE public other_orders postgres')!, parseTocLine('219; 1255 16501 FUNCTION public f() postgres')!];
  expect(foreignObjects(more, 'public', 'nb_')).toEqual(['f()', 'other_orders']);
  expect(foreignObjects(entries, 'sub1', 'nb_')).toEqual(['things']);
});
