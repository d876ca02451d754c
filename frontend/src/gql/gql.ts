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
    "\n  query Clerks {\n    users(role: CLERK) {\n      id\n      name\n      active\n      openLeadCount\n    }\n  }\n": typeof types.ClerksDocument,
    "\n  query LeadImportProgress($id: ID!) {\n    leadImport(id: $id) {\n      id\n      fileName\n      status\n      rowsExpected\n      rowsProcessed\n      leadsCreated\n      contactsReused\n      duplicatesSkipped\n      rowsRejected\n      emptyRows\n      failure\n      rejectedRowsUrl\n    }\n  }\n": typeof types.LeadImportProgressDocument,
    "\n  query CampaignOptions {\n    campaigns(first: 100) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n": typeof types.CampaignOptionsDocument,
    "\n  mutation CloseLead($input: CloseLeadInput!) {\n    closeLead(input: $input) {\n      lead {\n        id\n        status\n        outcome\n      }\n      opportunity {\n        ...OpportunitySummary_opportunity\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n": typeof types.CloseLeadDocument,
    "\n  mutation RecordFeedback($input: RecordFeedbackInput!) {\n    recordFeedback(input: $input) {\n      feedback {\n        id\n      }\n      lead {\n        id\n        status\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n": typeof types.RecordFeedbackDocument,
    "\n  fragment FieldError_userError on UserError {\n    code\n    message\n    field\n  }\n": typeof types.FieldError_UserErrorFragmentDoc,
    "\n  mutation HandOverOpportunity($input: HandOverOpportunityInput!) {\n    handOverOpportunity(input: $input) {\n      opportunity {\n        id\n        owner {\n          id\n          name\n        }\n        ...OpportunityHistory_opportunity\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n": typeof types.HandOverOpportunityDocument,
    "\n  fragment ImportHistory_leadImport on LeadImport {\n    id\n    fileName\n    status\n    startedAt\n    rowsProcessed\n    leadsCreated\n    duplicatesSkipped\n    rowsRejected\n    emptyRows\n    rejectedRowsUrl\n    createdBy {\n      id\n      name\n    }\n  }\n": typeof types.ImportHistory_LeadImportFragmentDoc,
    "\n  fragment LeadHistory_lead on Lead {\n    history {\n      kind\n      at\n      note\n      outcome\n      closeReason\n      actor {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      previousAssignee {\n        id\n        name\n      }\n    }\n  }\n": typeof types.LeadHistory_LeadFragmentDoc,
    "\n  fragment OpportunityHistory_opportunity on Opportunity {\n    history {\n      kind\n      at\n      note\n      stage\n      actor {\n        id\n        name\n      }\n      owner {\n        id\n        name\n      }\n      previousOwner {\n        id\n        name\n      }\n    }\n  }\n": typeof types.OpportunityHistory_OpportunityFragmentDoc,
    "\n  fragment OpportunitySummary_opportunity on Opportunity {\n    id\n    title\n    expectedValue\n    owner {\n      id\n      name\n    }\n  }\n": typeof types.OpportunitySummary_OpportunityFragmentDoc,
    "\n  mutation ReassignLead($input: ReassignLeadInput!) {\n    reassignLead(input: $input) {\n      lead {\n        id\n        status\n        assignedAt\n        assignee {\n          id\n          name\n        }\n        ...LeadHistory_lead\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n": typeof types.ReassignLeadDocument,
    "\n  fragment ContactName_contact on Contact {\n    firstName\n    lastName\n    company\n  }\n": typeof types.ContactName_ContactFragmentDoc,
    "\n  fragment LeadRow_lead on Lead {\n    id\n    createdAt\n    contact {\n      ...ContactName_contact\n    }\n    campaign {\n      id\n      name\n    }\n    assignee {\n      id\n      name\n    }\n  }\n": typeof types.LeadRow_LeadFragmentDoc,
    "\n  fragment OpportunityFacts_opportunity on Opportunity {\n    id\n    title\n    stage\n    expectedValue\n    createdAt\n    contact {\n      id\n      ...ContactName_contact\n    }\n    owner {\n      id\n      name\n    }\n  }\n": typeof types.OpportunityFacts_OpportunityFragmentDoc,
    "\n  query Campaigns($first: Int!, $after: String) {\n    campaigns(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          stats {\n            total\n            new\n            active\n            done\n            successful\n            unsuccessful\n            conversionRate\n          }\n          imports(first: 5) {\n            ...ImportHistory_leadImport\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.CampaignsDocument,
    "\n  query LeadDetail($id: ID!) {\n    lead(id: $id) {\n      id\n      status\n      createdAt\n      assignedAt\n      closedAt\n      outcome\n      closeReason\n      closeNote\n      contact {\n        id\n        salutation\n        ...ContactName_contact\n        email\n        phone\n        street\n        postalCode\n        city\n        country\n      }\n      campaign {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      feedback {\n        id\n        channel\n        note\n        createdAt\n        author {\n          id\n          name\n        }\n      }\n      ...LeadHistory_lead\n      opportunity {\n        ...OpportunitySummary_opportunity\n      }\n    }\n  }\n": typeof types.LeadDetailDocument,
    "\n  query LeadCounts($filter: LeadFilter) {\n    leadCounts(filter: $filter) {\n      new\n      active\n      done\n    }\n  }\n": typeof types.LeadCountsDocument,
    "\n  query LeadsPage($filter: LeadFilter!, $first: Int!, $after: String) {\n    leads(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...LeadRow_lead\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.LeadsPageDocument,
    "\n  mutation AssignLeads($input: AssignLeadsInput!) {\n    assignLeads(input: $input) {\n      leads {\n        id\n        status\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n": typeof types.AssignLeadsDocument,
    "\n  query MyTasks($first: Int!, $after: String) {\n    myTasks(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          assignedAt\n          contact {\n            ...ContactName_contact\n            phone\n          }\n          campaign {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.MyTasksDocument,
    "\n  query Opportunities($filter: OpportunityFilter, $first: Int!, $after: String) {\n    opportunities(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...OpportunityFacts_opportunity\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.OpportunitiesDocument,
    "\n  query OpportunityDetail($id: ID!) {\n    opportunity(id: $id) {\n      id\n      ...OpportunityFacts_opportunity\n      lead {\n        id\n      }\n      ...OpportunityHistory_opportunity\n    }\n  }\n": typeof types.OpportunityDetailDocument,
    "\n  query AgingLeads($kind: AgingKind!, $days: Int!, $campaignId: ID, $first: Int!) {\n    agingLeads(kind: $kind, olderThanDays: $days, campaignId: $campaignId, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...LeadRow_lead\n          waitingSince\n        }\n      }\n    }\n  }\n": typeof types.AgingLeadsDocument,
    "\n  query CampaignReports($campaignId: ID, $from: DateTime, $to: DateTime) {\n    campaignReports(campaignId: $campaignId, from: $from, to: $to) {\n      campaign {\n        id\n        name\n      }\n      total\n      new\n      active\n      done\n      successful\n      unsuccessful\n      conversionRate\n      unsuccessfulByReason {\n        reason\n        count\n      }\n      medianSecondsToAssignment\n      medianSecondsToFirstFeedback\n      medianSecondsToClose\n      mediansEstimated\n    }\n  }\n": typeof types.CampaignReportsDocument,
    "\n  query ClerkReports($from: DateTime, $to: DateTime) {\n    clerkReports(from: $from, to: $to) {\n      clerk {\n        id\n        name\n        active\n      }\n      openLeads\n      closedInPeriod\n      successfulInPeriod\n      successRate\n      medianSecondsToFirstFeedback\n      mediansEstimated\n      oldestWaitingLead {\n        id\n        waitingSince\n        contact {\n          ...ContactName_contact\n        }\n      }\n    }\n  }\n": typeof types.ClerkReportsDocument,
    "\n  query LeadTimeSeries(\n    $interval: ReportInterval!\n    $from: DateTime!\n    $to: DateTime!\n    $campaignId: ID\n  ) {\n    leadTimeSeries(interval: $interval, from: $from, to: $to, campaignId: $campaignId) {\n      start\n      created\n      successful\n      unsuccessful\n    }\n  }\n": typeof types.LeadTimeSeriesDocument,
    "\n  query Viewer {\n    viewer {\n      id\n      name\n      role\n    }\n  }\n": typeof types.ViewerDocument,
};
const documents: Documents = {
    "\n  query Clerks {\n    users(role: CLERK) {\n      id\n      name\n      active\n      openLeadCount\n    }\n  }\n": types.ClerksDocument,
    "\n  query LeadImportProgress($id: ID!) {\n    leadImport(id: $id) {\n      id\n      fileName\n      status\n      rowsExpected\n      rowsProcessed\n      leadsCreated\n      contactsReused\n      duplicatesSkipped\n      rowsRejected\n      emptyRows\n      failure\n      rejectedRowsUrl\n    }\n  }\n": types.LeadImportProgressDocument,
    "\n  query CampaignOptions {\n    campaigns(first: 100) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n": types.CampaignOptionsDocument,
    "\n  mutation CloseLead($input: CloseLeadInput!) {\n    closeLead(input: $input) {\n      lead {\n        id\n        status\n        outcome\n      }\n      opportunity {\n        ...OpportunitySummary_opportunity\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n": types.CloseLeadDocument,
    "\n  mutation RecordFeedback($input: RecordFeedbackInput!) {\n    recordFeedback(input: $input) {\n      feedback {\n        id\n      }\n      lead {\n        id\n        status\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n": types.RecordFeedbackDocument,
    "\n  fragment FieldError_userError on UserError {\n    code\n    message\n    field\n  }\n": types.FieldError_UserErrorFragmentDoc,
    "\n  mutation HandOverOpportunity($input: HandOverOpportunityInput!) {\n    handOverOpportunity(input: $input) {\n      opportunity {\n        id\n        owner {\n          id\n          name\n        }\n        ...OpportunityHistory_opportunity\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n": types.HandOverOpportunityDocument,
    "\n  fragment ImportHistory_leadImport on LeadImport {\n    id\n    fileName\n    status\n    startedAt\n    rowsProcessed\n    leadsCreated\n    duplicatesSkipped\n    rowsRejected\n    emptyRows\n    rejectedRowsUrl\n    createdBy {\n      id\n      name\n    }\n  }\n": types.ImportHistory_LeadImportFragmentDoc,
    "\n  fragment LeadHistory_lead on Lead {\n    history {\n      kind\n      at\n      note\n      outcome\n      closeReason\n      actor {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      previousAssignee {\n        id\n        name\n      }\n    }\n  }\n": types.LeadHistory_LeadFragmentDoc,
    "\n  fragment OpportunityHistory_opportunity on Opportunity {\n    history {\n      kind\n      at\n      note\n      stage\n      actor {\n        id\n        name\n      }\n      owner {\n        id\n        name\n      }\n      previousOwner {\n        id\n        name\n      }\n    }\n  }\n": types.OpportunityHistory_OpportunityFragmentDoc,
    "\n  fragment OpportunitySummary_opportunity on Opportunity {\n    id\n    title\n    expectedValue\n    owner {\n      id\n      name\n    }\n  }\n": types.OpportunitySummary_OpportunityFragmentDoc,
    "\n  mutation ReassignLead($input: ReassignLeadInput!) {\n    reassignLead(input: $input) {\n      lead {\n        id\n        status\n        assignedAt\n        assignee {\n          id\n          name\n        }\n        ...LeadHistory_lead\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n": types.ReassignLeadDocument,
    "\n  fragment ContactName_contact on Contact {\n    firstName\n    lastName\n    company\n  }\n": types.ContactName_ContactFragmentDoc,
    "\n  fragment LeadRow_lead on Lead {\n    id\n    createdAt\n    contact {\n      ...ContactName_contact\n    }\n    campaign {\n      id\n      name\n    }\n    assignee {\n      id\n      name\n    }\n  }\n": types.LeadRow_LeadFragmentDoc,
    "\n  fragment OpportunityFacts_opportunity on Opportunity {\n    id\n    title\n    stage\n    expectedValue\n    createdAt\n    contact {\n      id\n      ...ContactName_contact\n    }\n    owner {\n      id\n      name\n    }\n  }\n": types.OpportunityFacts_OpportunityFragmentDoc,
    "\n  query Campaigns($first: Int!, $after: String) {\n    campaigns(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          stats {\n            total\n            new\n            active\n            done\n            successful\n            unsuccessful\n            conversionRate\n          }\n          imports(first: 5) {\n            ...ImportHistory_leadImport\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.CampaignsDocument,
    "\n  query LeadDetail($id: ID!) {\n    lead(id: $id) {\n      id\n      status\n      createdAt\n      assignedAt\n      closedAt\n      outcome\n      closeReason\n      closeNote\n      contact {\n        id\n        salutation\n        ...ContactName_contact\n        email\n        phone\n        street\n        postalCode\n        city\n        country\n      }\n      campaign {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      feedback {\n        id\n        channel\n        note\n        createdAt\n        author {\n          id\n          name\n        }\n      }\n      ...LeadHistory_lead\n      opportunity {\n        ...OpportunitySummary_opportunity\n      }\n    }\n  }\n": types.LeadDetailDocument,
    "\n  query LeadCounts($filter: LeadFilter) {\n    leadCounts(filter: $filter) {\n      new\n      active\n      done\n    }\n  }\n": types.LeadCountsDocument,
    "\n  query LeadsPage($filter: LeadFilter!, $first: Int!, $after: String) {\n    leads(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...LeadRow_lead\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.LeadsPageDocument,
    "\n  mutation AssignLeads($input: AssignLeadsInput!) {\n    assignLeads(input: $input) {\n      leads {\n        id\n        status\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n": types.AssignLeadsDocument,
    "\n  query MyTasks($first: Int!, $after: String) {\n    myTasks(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          assignedAt\n          contact {\n            ...ContactName_contact\n            phone\n          }\n          campaign {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.MyTasksDocument,
    "\n  query Opportunities($filter: OpportunityFilter, $first: Int!, $after: String) {\n    opportunities(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...OpportunityFacts_opportunity\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.OpportunitiesDocument,
    "\n  query OpportunityDetail($id: ID!) {\n    opportunity(id: $id) {\n      id\n      ...OpportunityFacts_opportunity\n      lead {\n        id\n      }\n      ...OpportunityHistory_opportunity\n    }\n  }\n": types.OpportunityDetailDocument,
    "\n  query AgingLeads($kind: AgingKind!, $days: Int!, $campaignId: ID, $first: Int!) {\n    agingLeads(kind: $kind, olderThanDays: $days, campaignId: $campaignId, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...LeadRow_lead\n          waitingSince\n        }\n      }\n    }\n  }\n": types.AgingLeadsDocument,
    "\n  query CampaignReports($campaignId: ID, $from: DateTime, $to: DateTime) {\n    campaignReports(campaignId: $campaignId, from: $from, to: $to) {\n      campaign {\n        id\n        name\n      }\n      total\n      new\n      active\n      done\n      successful\n      unsuccessful\n      conversionRate\n      unsuccessfulByReason {\n        reason\n        count\n      }\n      medianSecondsToAssignment\n      medianSecondsToFirstFeedback\n      medianSecondsToClose\n      mediansEstimated\n    }\n  }\n": types.CampaignReportsDocument,
    "\n  query ClerkReports($from: DateTime, $to: DateTime) {\n    clerkReports(from: $from, to: $to) {\n      clerk {\n        id\n        name\n        active\n      }\n      openLeads\n      closedInPeriod\n      successfulInPeriod\n      successRate\n      medianSecondsToFirstFeedback\n      mediansEstimated\n      oldestWaitingLead {\n        id\n        waitingSince\n        contact {\n          ...ContactName_contact\n        }\n      }\n    }\n  }\n": types.ClerkReportsDocument,
    "\n  query LeadTimeSeries(\n    $interval: ReportInterval!\n    $from: DateTime!\n    $to: DateTime!\n    $campaignId: ID\n  ) {\n    leadTimeSeries(interval: $interval, from: $from, to: $to, campaignId: $campaignId) {\n      start\n      created\n      successful\n      unsuccessful\n    }\n  }\n": types.LeadTimeSeriesDocument,
    "\n  query Viewer {\n    viewer {\n      id\n      name\n      role\n    }\n  }\n": types.ViewerDocument,
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
export function graphql(source: "\n  query Clerks {\n    users(role: CLERK) {\n      id\n      name\n      active\n      openLeadCount\n    }\n  }\n"): (typeof documents)["\n  query Clerks {\n    users(role: CLERK) {\n      id\n      name\n      active\n      openLeadCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LeadImportProgress($id: ID!) {\n    leadImport(id: $id) {\n      id\n      fileName\n      status\n      rowsExpected\n      rowsProcessed\n      leadsCreated\n      contactsReused\n      duplicatesSkipped\n      rowsRejected\n      emptyRows\n      failure\n      rejectedRowsUrl\n    }\n  }\n"): (typeof documents)["\n  query LeadImportProgress($id: ID!) {\n    leadImport(id: $id) {\n      id\n      fileName\n      status\n      rowsExpected\n      rowsProcessed\n      leadsCreated\n      contactsReused\n      duplicatesSkipped\n      rowsRejected\n      emptyRows\n      failure\n      rejectedRowsUrl\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CampaignOptions {\n    campaigns(first: 100) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query CampaignOptions {\n    campaigns(first: 100) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CloseLead($input: CloseLeadInput!) {\n    closeLead(input: $input) {\n      lead {\n        id\n        status\n        outcome\n      }\n      opportunity {\n        ...OpportunitySummary_opportunity\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CloseLead($input: CloseLeadInput!) {\n    closeLead(input: $input) {\n      lead {\n        id\n        status\n        outcome\n      }\n      opportunity {\n        ...OpportunitySummary_opportunity\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RecordFeedback($input: RecordFeedbackInput!) {\n    recordFeedback(input: $input) {\n      feedback {\n        id\n      }\n      lead {\n        id\n        status\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RecordFeedback($input: RecordFeedbackInput!) {\n    recordFeedback(input: $input) {\n      feedback {\n        id\n      }\n      lead {\n        id\n        status\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment FieldError_userError on UserError {\n    code\n    message\n    field\n  }\n"): (typeof documents)["\n  fragment FieldError_userError on UserError {\n    code\n    message\n    field\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation HandOverOpportunity($input: HandOverOpportunityInput!) {\n    handOverOpportunity(input: $input) {\n      opportunity {\n        id\n        owner {\n          id\n          name\n        }\n        ...OpportunityHistory_opportunity\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation HandOverOpportunity($input: HandOverOpportunityInput!) {\n    handOverOpportunity(input: $input) {\n      opportunity {\n        id\n        owner {\n          id\n          name\n        }\n        ...OpportunityHistory_opportunity\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ImportHistory_leadImport on LeadImport {\n    id\n    fileName\n    status\n    startedAt\n    rowsProcessed\n    leadsCreated\n    duplicatesSkipped\n    rowsRejected\n    emptyRows\n    rejectedRowsUrl\n    createdBy {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment ImportHistory_leadImport on LeadImport {\n    id\n    fileName\n    status\n    startedAt\n    rowsProcessed\n    leadsCreated\n    duplicatesSkipped\n    rowsRejected\n    emptyRows\n    rejectedRowsUrl\n    createdBy {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LeadHistory_lead on Lead {\n    history {\n      kind\n      at\n      note\n      outcome\n      closeReason\n      actor {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      previousAssignee {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment LeadHistory_lead on Lead {\n    history {\n      kind\n      at\n      note\n      outcome\n      closeReason\n      actor {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      previousAssignee {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OpportunityHistory_opportunity on Opportunity {\n    history {\n      kind\n      at\n      note\n      stage\n      actor {\n        id\n        name\n      }\n      owner {\n        id\n        name\n      }\n      previousOwner {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment OpportunityHistory_opportunity on Opportunity {\n    history {\n      kind\n      at\n      note\n      stage\n      actor {\n        id\n        name\n      }\n      owner {\n        id\n        name\n      }\n      previousOwner {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OpportunitySummary_opportunity on Opportunity {\n    id\n    title\n    expectedValue\n    owner {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment OpportunitySummary_opportunity on Opportunity {\n    id\n    title\n    expectedValue\n    owner {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReassignLead($input: ReassignLeadInput!) {\n    reassignLead(input: $input) {\n      lead {\n        id\n        status\n        assignedAt\n        assignee {\n          id\n          name\n        }\n        ...LeadHistory_lead\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ReassignLead($input: ReassignLeadInput!) {\n    reassignLead(input: $input) {\n      lead {\n        id\n        status\n        assignedAt\n        assignee {\n          id\n          name\n        }\n        ...LeadHistory_lead\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ContactName_contact on Contact {\n    firstName\n    lastName\n    company\n  }\n"): (typeof documents)["\n  fragment ContactName_contact on Contact {\n    firstName\n    lastName\n    company\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LeadRow_lead on Lead {\n    id\n    createdAt\n    contact {\n      ...ContactName_contact\n    }\n    campaign {\n      id\n      name\n    }\n    assignee {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment LeadRow_lead on Lead {\n    id\n    createdAt\n    contact {\n      ...ContactName_contact\n    }\n    campaign {\n      id\n      name\n    }\n    assignee {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OpportunityFacts_opportunity on Opportunity {\n    id\n    title\n    stage\n    expectedValue\n    createdAt\n    contact {\n      id\n      ...ContactName_contact\n    }\n    owner {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment OpportunityFacts_opportunity on Opportunity {\n    id\n    title\n    stage\n    expectedValue\n    createdAt\n    contact {\n      id\n      ...ContactName_contact\n    }\n    owner {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Campaigns($first: Int!, $after: String) {\n    campaigns(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          stats {\n            total\n            new\n            active\n            done\n            successful\n            unsuccessful\n            conversionRate\n          }\n          imports(first: 5) {\n            ...ImportHistory_leadImport\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Campaigns($first: Int!, $after: String) {\n    campaigns(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          stats {\n            total\n            new\n            active\n            done\n            successful\n            unsuccessful\n            conversionRate\n          }\n          imports(first: 5) {\n            ...ImportHistory_leadImport\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LeadDetail($id: ID!) {\n    lead(id: $id) {\n      id\n      status\n      createdAt\n      assignedAt\n      closedAt\n      outcome\n      closeReason\n      closeNote\n      contact {\n        id\n        salutation\n        ...ContactName_contact\n        email\n        phone\n        street\n        postalCode\n        city\n        country\n      }\n      campaign {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      feedback {\n        id\n        channel\n        note\n        createdAt\n        author {\n          id\n          name\n        }\n      }\n      ...LeadHistory_lead\n      opportunity {\n        ...OpportunitySummary_opportunity\n      }\n    }\n  }\n"): (typeof documents)["\n  query LeadDetail($id: ID!) {\n    lead(id: $id) {\n      id\n      status\n      createdAt\n      assignedAt\n      closedAt\n      outcome\n      closeReason\n      closeNote\n      contact {\n        id\n        salutation\n        ...ContactName_contact\n        email\n        phone\n        street\n        postalCode\n        city\n        country\n      }\n      campaign {\n        id\n        name\n      }\n      assignee {\n        id\n        name\n      }\n      feedback {\n        id\n        channel\n        note\n        createdAt\n        author {\n          id\n          name\n        }\n      }\n      ...LeadHistory_lead\n      opportunity {\n        ...OpportunitySummary_opportunity\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LeadCounts($filter: LeadFilter) {\n    leadCounts(filter: $filter) {\n      new\n      active\n      done\n    }\n  }\n"): (typeof documents)["\n  query LeadCounts($filter: LeadFilter) {\n    leadCounts(filter: $filter) {\n      new\n      active\n      done\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LeadsPage($filter: LeadFilter!, $first: Int!, $after: String) {\n    leads(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...LeadRow_lead\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query LeadsPage($filter: LeadFilter!, $first: Int!, $after: String) {\n    leads(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...LeadRow_lead\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AssignLeads($input: AssignLeadsInput!) {\n    assignLeads(input: $input) {\n      leads {\n        id\n        status\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation AssignLeads($input: AssignLeadsInput!) {\n    assignLeads(input: $input) {\n      leads {\n        id\n        status\n      }\n      userErrors {\n        ...FieldError_userError\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyTasks($first: Int!, $after: String) {\n    myTasks(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          assignedAt\n          contact {\n            ...ContactName_contact\n            phone\n          }\n          campaign {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyTasks($first: Int!, $after: String) {\n    myTasks(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          createdAt\n          assignedAt\n          contact {\n            ...ContactName_contact\n            phone\n          }\n          campaign {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Opportunities($filter: OpportunityFilter, $first: Int!, $after: String) {\n    opportunities(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...OpportunityFacts_opportunity\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Opportunities($filter: OpportunityFilter, $first: Int!, $after: String) {\n    opportunities(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...OpportunityFacts_opportunity\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OpportunityDetail($id: ID!) {\n    opportunity(id: $id) {\n      id\n      ...OpportunityFacts_opportunity\n      lead {\n        id\n      }\n      ...OpportunityHistory_opportunity\n    }\n  }\n"): (typeof documents)["\n  query OpportunityDetail($id: ID!) {\n    opportunity(id: $id) {\n      id\n      ...OpportunityFacts_opportunity\n      lead {\n        id\n      }\n      ...OpportunityHistory_opportunity\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AgingLeads($kind: AgingKind!, $days: Int!, $campaignId: ID, $first: Int!) {\n    agingLeads(kind: $kind, olderThanDays: $days, campaignId: $campaignId, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...LeadRow_lead\n          waitingSince\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query AgingLeads($kind: AgingKind!, $days: Int!, $campaignId: ID, $first: Int!) {\n    agingLeads(kind: $kind, olderThanDays: $days, campaignId: $campaignId, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...LeadRow_lead\n          waitingSince\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CampaignReports($campaignId: ID, $from: DateTime, $to: DateTime) {\n    campaignReports(campaignId: $campaignId, from: $from, to: $to) {\n      campaign {\n        id\n        name\n      }\n      total\n      new\n      active\n      done\n      successful\n      unsuccessful\n      conversionRate\n      unsuccessfulByReason {\n        reason\n        count\n      }\n      medianSecondsToAssignment\n      medianSecondsToFirstFeedback\n      medianSecondsToClose\n      mediansEstimated\n    }\n  }\n"): (typeof documents)["\n  query CampaignReports($campaignId: ID, $from: DateTime, $to: DateTime) {\n    campaignReports(campaignId: $campaignId, from: $from, to: $to) {\n      campaign {\n        id\n        name\n      }\n      total\n      new\n      active\n      done\n      successful\n      unsuccessful\n      conversionRate\n      unsuccessfulByReason {\n        reason\n        count\n      }\n      medianSecondsToAssignment\n      medianSecondsToFirstFeedback\n      medianSecondsToClose\n      mediansEstimated\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ClerkReports($from: DateTime, $to: DateTime) {\n    clerkReports(from: $from, to: $to) {\n      clerk {\n        id\n        name\n        active\n      }\n      openLeads\n      closedInPeriod\n      successfulInPeriod\n      successRate\n      medianSecondsToFirstFeedback\n      mediansEstimated\n      oldestWaitingLead {\n        id\n        waitingSince\n        contact {\n          ...ContactName_contact\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ClerkReports($from: DateTime, $to: DateTime) {\n    clerkReports(from: $from, to: $to) {\n      clerk {\n        id\n        name\n        active\n      }\n      openLeads\n      closedInPeriod\n      successfulInPeriod\n      successRate\n      medianSecondsToFirstFeedback\n      mediansEstimated\n      oldestWaitingLead {\n        id\n        waitingSince\n        contact {\n          ...ContactName_contact\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LeadTimeSeries(\n    $interval: ReportInterval!\n    $from: DateTime!\n    $to: DateTime!\n    $campaignId: ID\n  ) {\n    leadTimeSeries(interval: $interval, from: $from, to: $to, campaignId: $campaignId) {\n      start\n      created\n      successful\n      unsuccessful\n    }\n  }\n"): (typeof documents)["\n  query LeadTimeSeries(\n    $interval: ReportInterval!\n    $from: DateTime!\n    $to: DateTime!\n    $campaignId: ID\n  ) {\n    leadTimeSeries(interval: $interval, from: $from, to: $to, campaignId: $campaignId) {\n      start\n      created\n      successful\n      unsuccessful\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      id\n      name\n      role\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer {\n      id\n      name\n      role\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;