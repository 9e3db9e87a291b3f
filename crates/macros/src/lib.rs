//! `#[throwaway::test]`: a test whose arguments are handed out by shared containers.
//!
//! Use it through the `throwaway` crate (`throwaway::test`, feature `macros`, on by
//! default), whose docs say what each argument type gets. This crate only reads the
//! signature: everything that happens at run time (the runtime, the units, what is kept
//! when the test fails, the skip rule) is library code in `throwaway::testing`.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, FnArg, Ident, ItemFn, Lit, Meta, Pat, Path, Token, Type};

/// Runs a function as a test whose arguments come from shared containers: each
/// `#[from(STATIC)] name: Type` argument is handed out by the `throwaway::Shared` in that
/// `static`, and what it gets follows `Type` (a fresh database, a Redis logical database,
/// any module's isolation unit, its URL as a `String`, or `&'static` the shared service
/// itself).
///
/// ```text
/// #[throwaway::test]
/// async fn stores_a_user(#[from(PG)] db: TestDatabase) -> Result<(), Box<dyn Error>> { … }
///
/// #[throwaway::test(skip_without_engine)]
/// fn plain(#[from(REDIS)] cache: RedisDatabase) { … }
///
/// #[throwaway::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn on_two_threads(#[from(PG)] db: TestDatabase) { … }
/// ```
///
/// See `throwaway::test` for the whole story.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let options = syn::parse_macro_input!(args as Options);
    let function = syn::parse_macro_input!(item as ItemFn);
    expand(options, function)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The attribute's own arguments: `skip_without_engine`, `flavor = "…"` and
/// `worker_threads = N`, in any order, or nothing.
struct Options {
    skip_without_engine: bool,
    /// `flavor = "multi_thread"` (or `"current_thread"`, the default), where it was written.
    multi_thread: Option<(bool, Span)>,
    /// `worker_threads = N`, where it was written.
    worker_threads: Option<(usize, Span)>,
}

/// What the message for a wrong option lists.
const OPTIONS: &str = "`skip_without_engine` (skip, rather than fail, when no engine \
                       answers), `flavor = \"multi_thread\"` or `flavor = \"current_thread\"` \
                       (the runtime of an async test; current_thread by default) and \
                       `worker_threads = N` (with multi_thread)";

impl Parse for Options {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut options = Options {
            skip_without_engine: false,
            multi_thread: None,
            worker_threads: None,
        };
        for meta in Punctuated::<Meta, Token![,]>::parse_terminated(input)? {
            match &meta {
                Meta::Path(path) if path.is_ident("skip_without_engine") => {
                    options.skip_without_engine = true;
                }
                Meta::NameValue(pair) if pair.path.is_ident("flavor") => {
                    let flavor = string_value(&pair.value, "flavor")?;
                    let multi = match flavor.as_str() {
                        "multi_thread" => true,
                        "current_thread" => false,
                        other => {
                            return Err(syn::Error::new(
                                pair.value.span(),
                                format!(
                                    "#[throwaway::test] has no flavor {other:?}: write \
                                     flavor = \"multi_thread\" or flavor = \"current_thread\" \
                                     (the default), as #[tokio::test] takes them"
                                ),
                            ))
                        }
                    };
                    options.multi_thread = Some((multi, meta.span()));
                }
                Meta::NameValue(pair) if pair.path.is_ident("worker_threads") => {
                    let Expr::Lit(ExprLit {
                        lit: Lit::Int(count),
                        ..
                    }) = &pair.value
                    else {
                        return Err(syn::Error::new(
                            pair.value.span(),
                            "worker_threads takes a number of threads, as in worker_threads = 2",
                        ));
                    };
                    let count: usize = count.base10_parse()?;
                    if count == 0 {
                        return Err(syn::Error::new(
                            pair.value.span(),
                            "worker_threads must be at least 1",
                        ));
                    }
                    options.worker_threads = Some((count, meta.span()));
                }
                _ if meta.path().is_ident("flavor") || meta.path().is_ident("worker_threads") => {
                    let written = meta.path().to_token_stream().to_string();
                    return Err(syn::Error::new(
                        meta.span(),
                        format!(
                            "`{written}` takes a value, as in flavor = \"multi_thread\" or \
                             worker_threads = 2"
                        ),
                    ));
                }
                _ => {
                    let written = meta.path().to_token_stream().to_string();
                    return Err(syn::Error::new(
                        meta.span(),
                        format!("#[throwaway::test] has no option `{written}`: it takes {OPTIONS}"),
                    ));
                }
            }
        }
        if let Some((_, span)) = options.worker_threads {
            if !matches!(options.multi_thread, Some((true, _))) {
                return Err(syn::Error::new(
                    span,
                    "worker_threads needs flavor = \"multi_thread\": a current-thread runtime \
                     has no worker threads",
                ));
            }
        }
        Ok(options)
    }
}

/// The string in `name = "…"`.
fn string_value(value: &Expr, name: &str) -> syn::Result<String> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => Ok(text.value()),
        other => Err(syn::Error::new(
            other.span(),
            format!("{name} takes a string, as in {name} = \"multi_thread\""),
        )),
    }
}

/// One argument: where it comes from, and how the library is asked for it.
struct Argument {
    source: Path,
    ty: Type,
    name: String,
    span: Span,
}

fn expand(options: Options, mut function: ItemFn) -> syn::Result<TokenStream2> {
    if let Some(generics) = function.sig.generics.lt_token.map(|lt| lt.span).or(function
        .sig
        .generics
        .where_clause
        .as_ref()
        .map(|w| w.span()))
    {
        return Err(syn::Error::new(
            generics,
            "a #[throwaway::test] cannot be generic: the test harness calls it with no type \
             arguments",
        ));
    }
    let mut arguments = Vec::new();
    for input in &mut function.sig.inputs {
        let FnArg::Typed(typed) = input else {
            return Err(syn::Error::new(
                input.span(),
                "a #[throwaway::test] is a free function; `self` has no place in it",
            ));
        };
        let name = match &*typed.pat {
            Pat::Ident(ident) => ident.ident.to_string(),
            other => quote!(#other).to_string(),
        };
        let span = typed.span();
        let source = take_from(&mut typed.attrs, &name, span)?;
        arguments.push(Argument {
            source,
            ty: (*typed.ty).clone(),
            name,
            span: typed.ty.span(),
        });
    }

    // The test harness's function takes no arguments; the user's function, unchanged but
    // for the `#[from]` attributes, is nested inside it under the same name.
    let outer_attrs: Vec<Attribute> = std::mem::take(&mut function.attrs);
    let vis = function.vis.clone();
    let ident = function.sig.ident.clone();
    let test_name = ident.to_string();
    let skip = options.skip_without_engine;
    let handed: Vec<Ident> = (0..arguments.len())
        .map(|i| format_ident!("__throwaway_arg{i}"))
        .collect();
    let hand_outs = arguments.iter().map(|argument| {
        let Argument {
            source,
            ty,
            name,
            span,
        } = argument;
        // The shared service itself is asked for with a reference type (`&'static
        // PostgresContainer`); everything else goes through the `Handout` trait, whose
        // error says what can be handed out.
        if let Type::Reference(reference) = ty {
            let target = &reference.elem;
            quote_spanned! {*span=>
                __throwaway_test.shared::<_, #target>(::throwaway::testing::source(&#source), stringify!(#source), #name).await?
            }
        } else {
            quote_spanned! {*span=>
                __throwaway_test.hand_out::<#ty, _>(::throwaway::testing::source(&#source), stringify!(#source), #name).await?
            }
        }
    });
    let run = if function.sig.asyncness.is_some() {
        quote!(run_async)
    } else {
        if let Some((_, span)) = options.multi_thread {
            return Err(syn::Error::new(
                span,
                "flavor is for an async test: a plain fn runs with no runtime around it",
            ));
        }
        quote!(run_plain)
    };
    let flavor = match (options.multi_thread, options.worker_threads) {
        (Some((true, _)), Some((count, _))) => quote! {
            ::throwaway::testing::Flavor::MultiThread { worker_threads: ::core::option::Option::Some(#count) }
        },
        (Some((true, _)), None) => quote! {
            ::throwaway::testing::Flavor::MultiThread { worker_threads: ::core::option::Option::None }
        },
        _ => quote!(::throwaway::testing::Flavor::CurrentThread),
    };
    let output = match &function.sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };
    let output_span = function.sig.output.span();
    let check_output = quote_spanned! {output_span=>
        ::throwaway::testing::outcome_check::<#output>();
    };

    // The work is in a function of its own, outside the `#[test]` one, so that it is
    // type-checked in every build (a `#[test]` function exists only in test builds).
    let runner = format_ident!("__throwaway_test_{}", ident);
    Ok(quote! {
        #[::core::prelude::v1::test]
        #(#outer_attrs)*
        #vis fn #ident() {
            #runner()
        }

        #[doc(hidden)]
        #[allow(dead_code, non_snake_case)]
        fn #runner() {
            #function
            #check_output
            let __throwaway_test = ::throwaway::testing::Test::new(
                ::core::concat!(::core::module_path!(), "::", #test_name),
                #skip,
                #flavor,
            );
            __throwaway_test.clone().#run(
                async move {
                    ::core::result::Result::Ok((#(#hand_outs,)*))
                },
                |(#(#handed,)*)| #ident(#(#handed),*),
            )
        }
    })
}

/// Removes the `#[from(STATIC)]` attribute from an argument and returns the path in it.
fn take_from(attrs: &mut Vec<Attribute>, name: &str, span: Span) -> syn::Result<Path> {
    let position = attrs.iter().position(|a| a.path().is_ident("from"));
    let Some(position) = position else {
        return Err(syn::Error::new(
            span,
            format!(
                "argument `{name}` of a #[throwaway::test] needs #[from(STATIC)]: the `static` \
                 throwaway::Shared it is handed out by, as in `#[from(PG)] {name}: TestDatabase`"
            ),
        ));
    };
    let attr = attrs.remove(position);
    let path: Path = attr.parse_args().map_err(|err| {
        syn::Error::new(
            err.span(),
            format!(
                "#[from(…)] on `{name}` names the `static` throwaway::Shared it comes from, \
                 as in #[from(PG)] or #[from(crate::support::PG)]"
            ),
        )
    })?;
    if let Some(other) = attrs.iter().find(|a| a.path().is_ident("from")) {
        return Err(syn::Error::new(
            other.span(),
            format!("argument `{name}` has more than one #[from(…)]: keep one"),
        ));
    }
    Ok(path)
}
