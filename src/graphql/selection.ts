import {
  Kind,
  getNamedType,
  isInterfaceType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

const memo = new WeakMap<FieldNode, boolean>();

/**
 * Whether the selection below the resolving field reaches a field marked `pii` (`@pii`), so a
 * resolver can load the tenant's key ring with its page instead of after it. Memoised per field node
 * (a persisted document's nodes live as long as the server).
 */
export function selectsPii(info: GraphQLResolveInfo): boolean {
  const node = info.fieldNodes[0];
  if (!node) return false;
  let answer = memo.get(node);
  if (answer === undefined) {
    answer = info.fieldNodes.some((n) => reachesPii(info.schema, getNamedType(info.returnType), n.selectionSet, info.fragments, new Set()));
    memo.set(node, answer);
  }
  return answer;
}

function reachesPii(
  schema: GraphQLSchema,
  type: GraphQLNamedType,
  selections: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  seen: Set<string>,
): boolean {
  if (!selections || !(isObjectType(type) || isInterfaceType(type))) return false;
  const fields = type.getFields();
  for (const selection of selections.selections) {
    if (selection.kind === Kind.FIELD) {
      const field = fields[selection.name.value];
      if (!field) continue;
      if ((field.extensions?.directives as Record<string, unknown> | undefined)?.pii) return true;
      if (reachesPii(schema, getNamedType(field.type), selection.selectionSet, fragments, seen)) return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
      if (on && reachesPii(schema, on, selection.selectionSet, fragments, seen)) return true;
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments[selection.name.value];
      const on = fragment ? schema.getType(fragment.typeCondition.name.value) : undefined;
      if (fragment && on && reachesPii(schema, on, fragment.selectionSet, fragments, seen)) return true;
    }
  }
  return false;
}
