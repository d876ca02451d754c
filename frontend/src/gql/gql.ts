/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Viewer {\n    viewer {\n      id\n      name\n      role\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  query Clerks {\n    users(role: CLERK) {\n      id\n      name\n      active\n      openLeadCount\n    }\n  }\n": typeof types.ClerksDocument,
    "\n  mutation CloseLead($input: CloseLeadInput!) {\n    closeLead(input: $input) {\n      lead {\n        id\n        status\n        outcome\n      }\n      opportunity {\n        id\n        title\n        expectedValue\n        owner {\n          id\n          name\n        }\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n": typeof types.CloseLeadDocument,
    "\n  mutation RecordFeedback($input: RecordFeedbackInput!) {\n    recordFeedback(input: $input) {\n      feedback {\n        id\n      }\n      lead {\n        id\n        status\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n": typeof types.RecordFeedbackDocument,
    "\n  query LeadDetail($id: ID!) {\n    lead(id: $id) {\n      id\n      status\n      createdAt\n      assignedAt\n      closedAt\n      outcome\n      closeReason\n      closeNote\n      contact {\n        id\n        salutation\n        firstName\n        lastName\n        company\n        email\n        phone\n        street\n        postalCode\n        city\n        country\n      }\n      campaign {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      feedback {\n        id\n        channel\n        note\n        createdAt\n        author {\n          id\n          name\n        }\n      }\n      history {\n        kind\n        at\n        note\n        outcome\n        closeReason\n        actor {\n          id\n          name\n        }\n        assignee {\n          id\n          name\n        }\n        previousAssignee {\n          id\n          name\n        }\n      }\n      opportunity {\n        id\n        title\n        stage\n        expectedValue\n        owner {\n          id\n          name\n        }\n      }\n    }\n  }\n": typeof types.LeadDetailDocument,
    "\n  query LeadCounts {\n    leadCounts {\n      new\n      active\n      done\n    }\n  }\n": typeof types.LeadCountsDocument,
    "\n  query LeadsPage($status: LeadStatus!, $first: Int!, $after: String) {\n    leads(filter: { status: $status }, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          contact {\n            firstName\n            lastName\n            company\n          }\n          campaign {\n            id\n            name\n          }\n          assignee {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.LeadsPageDocument,
    "\n  mutation AssignLeads($input: AssignLeadsInput!) {\n    assignLeads(input: $input) {\n      leads {\n        id\n        status\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n": typeof types.AssignLeadsDocument,
    "\n  query MyTasks($first: Int!, $after: String) {\n    myTasks(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          assignedAt\n          contact {\n            firstName\n            lastName\n            company\n            phone\n          }\n          campaign {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.MyTasksDocument,
};
const documents: Documents = {
    "\n  query Viewer {\n    viewer {\n      id\n      name\n      role\n    }\n  }\n": types.ViewerDocument,
    "\n  query Clerks {\n    users(role: CLERK) {\n      id\n      name\n      active\n      openLeadCount\n    }\n  }\n": types.ClerksDocument,
    "\n  mutation CloseLead($input: CloseLeadInput!) {\n    closeLead(input: $input) {\n      lead {\n        id\n        status\n        outcome\n      }\n      opportunity {\n        id\n        title\n        expectedValue\n        owner {\n          id\n          name\n        }\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n": types.CloseLeadDocument,
    "\n  mutation RecordFeedback($input: RecordFeedbackInput!) {\n    recordFeedback(input: $input) {\n      feedback {\n        id\n      }\n      lead {\n        id\n        status\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n": types.RecordFeedbackDocument,
    "\n  query LeadDetail($id: ID!) {\n    lead(id: $id) {\n      id\n      status\n      createdAt\n      assignedAt\n      closedAt\n      outcome\n      closeReason\n      closeNote\n      contact {\n        id\n        salutation\n        firstName\n        lastName\n        company\n        email\n        phone\n        street\n        postalCode\n        city\n        country\n      }\n      campaign {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      feedback {\n        id\n        channel\n        note\n        createdAt\n        author {\n          id\n          name\n        }\n      }\n      history {\n        kind\n        at\n        note\n        outcome\n        closeReason\n        actor {\n          id\n          name\n        }\n        assignee {\n          id\n          name\n        }\n        previousAssignee {\n          id\n          name\n        }\n      }\n      opportunity {\n        id\n        title\n        stage\n        expectedValue\n        owner {\n          id\n          name\n        }\n      }\n    }\n  }\n": types.LeadDetailDocument,
    "\n  query LeadCounts {\n    leadCounts {\n      new\n      active\n      done\n    }\n  }\n": types.LeadCountsDocument,
    "\n  query LeadsPage($status: LeadStatus!, $first: Int!, $after: String) {\n    leads(filter: { status: $status }, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          contact {\n            firstName\n            lastName\n            company\n          }\n          campaign {\n            id\n            name\n          }\n          assignee {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.LeadsPageDocument,
    "\n  mutation AssignLeads($input: AssignLeadsInput!) {\n    assignLeads(input: $input) {\n      leads {\n        id\n        status\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n": types.AssignLeadsDocument,
    "\n  query MyTasks($first: Int!, $after: String) {\n    myTasks(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          assignedAt\n          contact {\n            firstName\n            lastName\n            company\n            phone\n          }\n          campaign {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.MyTasksDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      id\n      name\n      role\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer {\n      id\n      name\n      role\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Clerks {\n    users(role: CLERK) {\n      id\n      name\n      active\n      openLeadCount\n    }\n  }\n"): (typeof documents)["\n  query Clerks {\n    users(role: CLERK) {\n      id\n      name\n      active\n      openLeadCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CloseLead($input: CloseLeadInput!) {\n    closeLead(input: $input) {\n      lead {\n        id\n        status\n        outcome\n      }\n      opportunity {\n        id\n        title\n        expectedValue\n        owner {\n          id\n          name\n        }\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CloseLead($input: CloseLeadInput!) {\n    closeLead(input: $input) {\n      lead {\n        id\n        status\n        outcome\n      }\n      opportunity {\n        id\n        title\n        expectedValue\n        owner {\n          id\n          name\n        }\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RecordFeedback($input: RecordFeedbackInput!) {\n    recordFeedback(input: $input) {\n      feedback {\n        id\n      }\n      lead {\n        id\n        status\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RecordFeedback($input: RecordFeedbackInput!) {\n    recordFeedback(input: $input) {\n      feedback {\n        id\n      }\n      lead {\n        id\n        status\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LeadDetail($id: ID!) {\n    lead(id: $id) {\n      id\n      status\n      createdAt\n      assignedAt\n      closedAt\n      outcome\n      closeReason\n      closeNote\n      contact {\n        id\n        salutation\n        firstName\n        lastName\n        company\n        email\n        phone\n        street\n        postalCode\n        city\n        country\n      }\n      campaign {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      feedback {\n        id\n        channel\n        note\n        createdAt\n        author {\n          id\n          name\n        }\n      }\n      history {\n        kind\n        at\n        note\n        outcome\n        closeReason\n        actor {\n          id\n          name\n        }\n        assignee {\n          id\n          name\n        }\n        previousAssignee {\n          id\n          name\n        }\n      }\n      opportunity {\n        id\n        title\n        stage\n        expectedValue\n        owner {\n          id\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query LeadDetail($id: ID!) {\n    lead(id: $id) {\n      id\n      status\n      createdAt\n      assignedAt\n      closedAt\n      outcome\n      closeReason\n      closeNote\n      contact {\n        id\n        salutation\n        firstName\n        lastName\n        company\n        email\n        phone\n        street\n        postalCode\n        city\n        country\n      }\n      campaign {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      feedback {\n        id\n        channel\n        note\n        createdAt\n        author {\n          id\n          name\n        }\n      }\n      history {\n        kind\n        at\n        note\n        outcome\n        closeReason\n        actor {\n          id\n          name\n        }\n        assignee {\n          id\n          name\n        }\n        previousAssignee {\n          id\n          name\n        }\n      }\n      opportunity {\n        id\n        title\n        stage\n        expectedValue\n        owner {\n          id\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LeadCounts {\n    leadCounts {\n      new\n      active\n      done\n    }\n  }\n"): (typeof documents)["\n  query LeadCounts {\n    leadCounts {\n      new\n      active\n      done\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LeadsPage($status: LeadStatus!, $first: Int!, $after: String) {\n    leads(filter: { status: $status }, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          contact {\n            firstName\n            lastName\n            company\n          }\n          campaign {\n            id\n            name\n          }\n          assignee {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query LeadsPage($status: LeadStatus!, $first: Int!, $after: String) {\n    leads(filter: { status: $status }, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          contact {\n            firstName\n            lastName\n            company\n          }\n          campaign {\n            id\n            name\n          }\n          assignee {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AssignLeads($input: AssignLeadsInput!) {\n    assignLeads(input: $input) {\n      leads {\n        id\n        status\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation AssignLeads($input: AssignLeadsInput!) {\n    assignLeads(input: $input) {\n      leads {\n        id\n        status\n      }\n      userErrors {\n        code\n        message\n        field\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyTasks($first: Int!, $after: String) {\n    myTasks(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          assignedAt\n          contact {\n            firstName\n            lastName\n            company\n            phone\n          }\n          campaign {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyTasks($first: Int!, $after: String) {\n    myTasks(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          assignedAt\n          contact {\n            firstName\n            lastName\n            company\n            phone\n          }\n          campaign {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;